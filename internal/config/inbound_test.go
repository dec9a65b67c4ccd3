package config_test

import (
	"strings"
	"testing"

	"github.com/onboardiq/onboardiq/internal/config"
)

func TestInboundSettings(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.InboundDomain != "" || c.InboundSMTPAddr != "" || c.InboundWebhookSecret != "" {
		t.Errorf("replies by email are on by default: %+v", c)
	}
	secret := "whsec-0123456789abcdef0123456789"
	c, err = config.Load(env(map[string]string{"ONBOARDIQ_INBOUND_DOMAIN": "Reply.Example.com", "ONBOARDIQ_INBOUND_SMTP_ADDR": ":2525",
		"ONBOARDIQ_INBOUND_WEBHOOK_SECRET": secret}))
	if err != nil {
		t.Fatal(err)
	}
	if c.InboundDomain != "reply.example.com" || c.InboundSMTPAddr != ":2525" || c.InboundWebhookSecret != secret {
		t.Errorf("inbound settings: %+v", c)
	}
	if strings.Contains(c.String(), secret) {
		t.Error("the inbound webhook secret is printed")
	}
	for name, m := range map[string]map[string]string{
		"ONBOARDIQ_INBOUND_DOMAIN":          {"ONBOARDIQ_INBOUND_DOMAIN": "reply@example.com"},
		"ONBOARDIQ_INBOUND_SMTP_ADDR":       {"ONBOARDIQ_INBOUND_DOMAIN": "reply.example.com", "ONBOARDIQ_INBOUND_SMTP_ADDR": "2525"},
		"ONBOARDIQ_INBOUND_WEBHOOK_SECRET":  {"ONBOARDIQ_INBOUND_DOMAIN": "reply.example.com", "ONBOARDIQ_INBOUND_WEBHOOK_SECRET": "short"},
		"ONBOARDIQ_INBOUND_DOMAIN required": {"ONBOARDIQ_INBOUND_SMTP_ADDR": ":2525"},
	} {
		_, err := config.Load(env(m))
		if err == nil || !strings.Contains(err.Error(), strings.Fields(name)[0]) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
