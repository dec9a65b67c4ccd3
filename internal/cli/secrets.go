package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq/internal/secret"
)

func (a *app) secretKeyCmd() *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "secret-key",
		Short: "Print a new random key for ONBOARDIQ_SECRET_KEY",
		Long: `secret-key prints 32 random bytes in base64: a key for ONBOARDIQ_SECRET_KEY, which
encrypts webhook signing secrets at rest. It changes nothing; to rotate keys,
see onboardiq secrets rotate --help.`,
		Example: `  umask 077; onboardiq secret-key > /etc/onboardiq/secret-key
  export ONBOARDIQ_SECRET_KEY_FILE=/etc/onboardiq/secret-key`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			k := secret.GenerateKey()
			if asJSON {
				return a.printJSON(map[string]string{"key": k})
			}
			_, err := fmt.Fprintln(a.env.Stdout, k)
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func (a *app) secretsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Manage the encryption of stored secrets"}
	var asJSON bool
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Seal every stored secret with the first key of ONBOARDIQ_SECRET_KEY",
		Long: `secrets rotate goes through every tenant's webhook endpoints and playbooks
(whose webhook actions have signing secrets of their own): it seals again,
with the first key of ONBOARDIQ_SECRET_KEY, each secret sealed with another of
its keys, and seals any secret still stored in plaintext (from before secrets
were encrypted), clearing the plaintext. Running it again changes nothing.

To rotate the key:
  1. onboardiq secret-key prints a new key.
  2. Set ONBOARDIQ_SECRET_KEY=<new>,<old> on every server and restart them:
     the new key seals, both open.
  3. Run onboardiq secrets rotate (with the same setting).
  4. Set ONBOARDIQ_SECRET_KEY=<new> and restart.
It fails, naming the endpoints and playbooks, when a secret was sealed with a key that is
not listed: list that key again (after the first) and run it once more.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if len(cfg.SecretKeys) == 0 {
				return errNoSecretKey
			}
			db, _, err := a.openApp(c.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.ResealWebhookSecrets(c.Context(), true)
			if err != nil {
				return err
			}
			if asJSON {
				if err := a.printJSON(r); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(a.env.Stdout, "%d tenant(s): %d webhook secret(s) sealed again with the first key, %d sealed from plaintext, %d already current.\n",
					r.Tenants, r.Resealed, r.Sealed, r.Current)
			}
			if n := len(r.Unreadable); n > 0 {
				ids := make([]string, n)
				for i, id := range r.Unreadable {
					ids[i] = id.String()
				}
				return fmt.Errorf("%d webhook secret(s) were sealed with a key that ONBOARDIQ_SECRET_KEY does not list, or do not open: endpoints or playbooks %s; list the old key after the first and run this again",
					n, strings.Join(ids, ", "))
			}
			return nil
		},
	}
	rotate.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(rotate)
	return cmd
}
