package csvin

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// benchFile is a 100,000-row, 8-column customer file with a quoted field
// per row, about 10 MB.
var benchFile = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	b.WriteString("external_id,name,email,phone,plan,segment,arr,notes\r\n")
	for i := range 100_000 {
		fmt.Fprintf(&b, "CRM-%06d,Customer %d Ltd,contact%d@customer%d.example,+44 20 7946 %04d,professional,mid-market,%d.50,\"Signed, onboarding in %d weeks\"\r\n",
			i, i, i, i, i%10000, 1000+i, i%12)
	}
	return b.Bytes()
})

func BenchmarkRead(b *testing.B) {
	in := benchFile()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		tb, err := Read(bytes.NewReader(in), Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(tb.Rows) != 100_000 || len(tb.Problems) != 0 {
			b.Fatalf("%d rows, %d problems", len(tb.Rows), len(tb.Problems))
		}
	}
}
