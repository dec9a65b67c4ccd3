package cli

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/onboardiq/onboardiq"
)

// openArg opens the file a command's argument names, or standard input
// for "-".
func openArg(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(name)
}

// usageColumns are the columns a usage CSV may have, by header name.
var usageColumns = []string{"id", "customer_id", "customer_external_id", "user_email", "name", "occurred_at", "properties"}

// usageRejection is a refused row of the CSV: its line and field.
type usageRejection struct {
	Line    int    `json:"line"`
	ID      string `json:"id"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

type usageImport struct {
	Rows       int              `json:"rows"`
	Accepted   int              `json:"accepted"`
	Duplicates int              `json:"duplicates"`
	Rejected   []usageRejection `json:"rejected"`
}

func (a *app) usageCmd() *cobra.Command {
	c := &cobra.Command{Use: "usage", Short: "Usage events from the vendor's product"}
	var (
		slug   string
		asJSON bool
	)
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import usage events from a CSV file",
		Long: `import reads usage events from a CSV file (- for standard input) whose first
line names the columns: id, customer_id (or customer_external_id), user_email,
name, occurred_at (RFC 3339) and properties (a JSON object), user_email and
properties optional. It sends them in batches of 1,000 as the tenant's operator,
like POST /api/v1/usage-events: an id already received counts as a duplicate,
so importing a file again adds nothing; a bad row is reported by its line and
field and the others are stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := openArg(args[0])
			if err != nil {
				return err
			}
			defer in.Close()
			ctx, db, err := a.asTenant(cmd.Context(), slug)
			if err != nil {
				return err
			}
			defer db.Close()
			r := csv.NewReader(in)
			r.ReuseRecord = false
			header, err := r.Read()
			if err != nil {
				return fmt.Errorf("read the header line: %w", err)
			}
			col := map[string]int{}
			for i, h := range header {
				h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
				known := false
				for _, c := range usageColumns {
					known = known || c == h
				}
				if !known {
					return usageError{fmt.Errorf("line 1: unknown column %q (want %s)", h, strings.Join(usageColumns, ", "))}
				}
				col[h] = i
			}
			for _, need := range []string{"id", "name", "occurred_at"} {
				if _, ok := col[need]; !ok {
					return usageError{fmt.Errorf("line 1: the column %s is missing", need)}
				}
			}
			field := func(rec []string, name string) string {
				if i, ok := col[name]; ok && i < len(rec) {
					return strings.TrimSpace(rec[i])
				}
				return ""
			}
			out := usageImport{Rejected: []usageRejection{}}
			batch := make([]onboardiq.UsageEventInput, 0, onboardiq.MaxUsageBatch)
			lines := make([]int, 0, onboardiq.MaxUsageBatch)
			send := func() error {
				if len(batch) == 0 {
					return nil
				}
				res, err := db.IngestUsage(ctx, batch)
				if err != nil {
					return err
				}
				out.Accepted += res.Accepted
				out.Duplicates += res.Duplicates
				for _, rej := range res.Rejected {
					out.Rejected = append(out.Rejected, usageRejection{Line: lines[rej.Index], ID: rej.ID,
						Field: batchIndex.ReplaceAllString(rej.Field, ""), Message: rej.Message})
				}
				fmt.Fprintf(a.env.Stderr, "\r%d rows: %d accepted, %d duplicates, %d rejected", out.Rows, out.Accepted, out.Duplicates, len(out.Rejected))
				batch, lines = batch[:0], lines[:0]
				return nil
			}
			for {
				rec, err := r.Read()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					return err
				}
				line, _ := r.FieldPos(0)
				out.Rows++
				e := onboardiq.UsageEventInput{ID: field(rec, "id"), CustomerID: field(rec, "customer_id"),
					CustomerExternalID: field(rec, "customer_external_id"), UserEmail: field(rec, "user_email"),
					Name: field(rec, "name"), OccurredAt: field(rec, "occurred_at")}
				if p := field(rec, "properties"); p != "" {
					e.Properties = json.RawMessage(p)
				}
				batch = append(batch, e)
				lines = append(lines, line)
				if len(batch) == onboardiq.MaxUsageBatch {
					if err := send(); err != nil {
						return err
					}
				}
			}
			if err := send(); err != nil {
				return err
			}
			if out.Rows > 0 {
				fmt.Fprintln(a.env.Stderr)
			}
			if asJSON {
				return a.printJSON(out)
			}
			fmt.Fprintf(a.env.Stdout, "Imported %d rows: %d accepted, %d duplicates, %d rejected.\n", out.Rows, out.Accepted, out.Duplicates, len(out.Rejected))
			for _, rej := range out.Rejected {
				fmt.Fprintf(a.env.Stdout, "line %s: %s: %s\n", strconv.Itoa(rej.Line), rej.Field, rej.Message)
			}
			return nil
		},
	}
	imp.Flags().StringVar(&slug, "tenant", "", "the tenant's slug (required)")
	imp.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	c.AddCommand(imp)
	return c
}

// batchIndex is the events[i]. prefix of a rejected field, which the
// import names by line instead.
var batchIndex = regexp.MustCompile(`^events\[\d+\]\.`)
