package onboardiq_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/onboardiq/onboardiq"
)

// TestConversationPredicates: contacts open conversations and write in
// their own customer's; every staff member reads them; the CSM (when it
// was opened, or now) and the admins reply while it is open, close and
// reopen; viewers, sales leaders and other CSMs read only.
func TestConversationPredicates(t *testing.T) {
	t.Parallel()
	customer, other := uuid.New(), uuid.New()
	csm, newCSM, otherCSM := uuid.New(), uuid.New(), uuid.New()
	contact := &onboardiq.Principal{Role: onboardiq.RoleCustomer, UserID: uuid.New(), CustomerID: &customer}
	stranger := &onboardiq.Principal{Role: onboardiq.RoleCustomer, UserID: uuid.New(), CustomerID: &other}
	admin := &onboardiq.Principal{Role: onboardiq.RoleAdmin, UserID: uuid.New()}
	theCSM := &onboardiq.Principal{Role: onboardiq.RoleCSM, UserID: csm}
	nowCSM := &onboardiq.Principal{Role: onboardiq.RoleCSM, UserID: newCSM}
	anotherCSM := &onboardiq.Principal{Role: onboardiq.RoleCSM, UserID: otherCSM}
	sales := &onboardiq.Principal{Role: onboardiq.RoleSalesLeader, UserID: uuid.New()}
	viewer := &onboardiq.Principal{Role: onboardiq.RoleViewer, UserID: uuid.New()}

	open := &onboardiq.Conversation{CustomerID: customer, CSMID: &csm, CustomerCSMID: &newCSM, Status: onboardiq.ConversationOpen}
	closed := &onboardiq.Conversation{CustomerID: customer, CSMID: &csm, Status: onboardiq.ConversationClosed}
	noCSM := &onboardiq.Conversation{CustomerID: customer, Status: onboardiq.ConversationOpen}
	for _, tc := range []struct {
		name                             string
		p                                *onboardiq.Principal
		c                                *onboardiq.Conversation
		see, reply, close, reopen, opens bool
	}{
		{"a contact, their customer's", contact, open, true, true, false, false, true},
		{"a contact, their customer's closed one (replying reopens it)", contact, closed, true, true, false, false, true},
		{"a contact, another customer's", stranger, open, false, false, false, false, true},
		{"an admin", admin, open, true, true, true, false, false},
		{"an admin, closed", admin, closed, true, false, false, true, false},
		{"an admin, one with no CSM", admin, noCSM, true, true, true, false, false},
		{"the CSM it went to", theCSM, open, true, true, true, false, false},
		{"the customer's CSM now", nowCSM, open, true, true, true, false, false},
		{"the CSM it went to, closed", theCSM, closed, true, false, false, true, false},
		{"another CSM", anotherCSM, open, true, false, false, false, false},
		{"a CSM, one with no CSM", theCSM, noCSM, true, false, false, false, false},
		{"a sales leader", sales, open, true, false, false, false, false},
		{"a viewer", viewer, closed, true, false, false, false, false},
		{"nobody", nil, open, false, false, false, false, false},
	} {
		if got := onboardiq.CanSeeConversation(tc.p, tc.c); got != tc.see {
			t.Errorf("%s: may see %v, want %v", tc.name, got, tc.see)
		}
		if got := onboardiq.CanReplyToConversation(tc.p, tc.c); got != tc.reply {
			t.Errorf("%s: may reply %v, want %v", tc.name, got, tc.reply)
		}
		if got := onboardiq.CanCloseConversation(tc.p, tc.c); got != tc.close {
			t.Errorf("%s: may close %v, want %v", tc.name, got, tc.close)
		}
		if got := onboardiq.CanReopenConversation(tc.p, tc.c); got != tc.reopen {
			t.Errorf("%s: may reopen %v, want %v", tc.name, got, tc.reopen)
		}
		if got := onboardiq.CanOpenConversation(tc.p); got != tc.opens {
			t.Errorf("%s: may open one %v, want %v", tc.name, got, tc.opens)
		}
	}
}

// TestNewConversation: the subject and body are trimmed and bounded; with
// the assistant's answer passed on, both may be left empty.
func TestNewConversation(t *testing.T) {
	t.Parallel()
	passed := uuid.New()
	for _, tc := range []struct {
		name  string
		in    onboardiq.NewConversation
		field string // "" when valid
	}{
		{"subject and body", onboardiq.NewConversation{Subject: "  SSO  set-up ", Body: "How?"}, ""},
		{"no subject", onboardiq.NewConversation{Body: "How?"}, "subject"},
		{"no body", onboardiq.NewConversation{Subject: "SSO", Body: "  "}, "body"},
		{"a long subject", onboardiq.NewConversation{Subject: strings.Repeat("s", 201), Body: "x"}, "subject"},
		{"a long body", onboardiq.NewConversation{Subject: "s", Body: strings.Repeat("b", 10001)}, "body"},
		{"the assistant's answer alone", onboardiq.NewConversation{AssistantConversationID: &passed}, ""},
		{"the assistant's answer with a long body", onboardiq.NewConversation{AssistantConversationID: &passed, Body: strings.Repeat("b", 10001)}, "body"},
	} {
		err := tc.in.Normalise()
		if got := onboardiq.ErrorField(err); got != tc.field || (tc.field == "" && err != nil) {
			t.Errorf("%s: %v, want an error naming %q", tc.name, err, tc.field)
		}
	}
	n := onboardiq.NewConversation{Subject: "  SSO \n set-up ", Body: " How? "}
	if err := n.Normalise(); err != nil || n.Subject != "SSO set-up" || n.Body != "How?" {
		t.Errorf("normalised: %+v (%v)", n, err)
	}
	if s := onboardiq.SubjectFrom(strings.Repeat("word ", 100)); len([]rune(s)) != onboardiq.MaxSubject || !strings.HasSuffix(s, "…") {
		t.Errorf("a subject from a long question: %d characters %q", len([]rune(s)), s)
	}
}
