package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestWriteRecordsCSV: records become rows under the union of their field
// paths, in the order first seen; nested objects are columns by path,
// arrays one cell joined with "; " (objects by their name), null empty,
// numbers as sent, text guarded against formulas.
func TestWriteRecordsCSV(t *testing.T) {
	t.Parallel()
	records := []json.RawMessage{
		json.RawMessage(`{"id":"a","name":"=cmd","csm":{"name":"Priya","email":"p@x.test"},"tags":["x","y"],"arr":-12.5,"ok":true,"gone":null}`),
		json.RawMessage(`{"id":"b","name":"Bolt","children":[{"id":"c1","name":"Bolt EU"},{"id":"c2"}],"arr":1e3,"extra":{"deep":{"n":1}}}`),
		json.RawMessage(`{"id":"c","tags":[],"mixed":[1,"two",null,{"x":1}]}`),
	}
	var b bytes.Buffer
	if err := writeRecordsCSV(&b, records); err != nil {
		t.Fatal(err)
	}
	want := "id,name,csm.name,csm.email,tags,arr,ok,gone,children,extra.deep.n,mixed\n" +
		"a,'=cmd,Priya,p@x.test,x; y,-12.5,true,,,,\n" +
		"b,Bolt,,,,1e3,,,Bolt EU; c2,1,\n" +
		"c,,,,,,,,,,\"1; two; ; {\"\"x\"\":1}\"\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	if csvName("list-customers") != "customers" || csvName("get-customer-stages") != "customer-stages" || csvName("customer-usage") != "customer-usage" {
		t.Error("csvName")
	}
}
