package csvin

// delimiters are the delimiters sniff chooses among, in the order that
// breaks a tie.
var delimiters = []rune{',', ';', '\t', '|'}

// sniffLines is how many lines sniff looks at; sniffBytes bounds them.
const (
	sniffLines = 50
	sniffBytes = 256 << 10
)

// sniff guesses the delimiter from the first lines of text: for each
// candidate it counts the fields of every line (outside quotes, as the
// reader will), and takes the candidate whose most common count above one
// is shared by the most lines. A tie goes to the earlier of , ; tab |.
// With no candidate splitting any line the file has one column, and the
// comma is as good as any.
func sniff(text []byte) rune {
	if len(text) > sniffBytes {
		text = text[:sniffBytes]
	}
	best, bestLines := ',', 0
	for _, d := range delimiters {
		if n := agreeing(text, byte(d)); n > bestLines {
			best, bestLines = d, n
		}
	}
	return best
}

// agreeing returns how many of the first lines share the most common field
// count above one when split on d.
func agreeing(text []byte, d byte) int {
	counts := map[int]int{}
	fields, lines := 1, 0
	quoted, fieldStart, empty := false, true, true
	end := func() {
		if !empty && fields > 1 {
			counts[fields]++
		}
		lines++
		fields, fieldStart, empty = 1, true, true
	}
	for i := 0; i < len(text) && lines < sniffLines; i++ {
		c := text[i]
		switch {
		case quoted:
			if c == '"' {
				if i+1 < len(text) && text[i+1] == '"' {
					i++
				} else {
					quoted = false
				}
			}
		case c == '\n':
			end()
		case c == d:
			fields++
			fieldStart, empty = true, false
		case c == '"' && fieldStart:
			quoted, fieldStart, empty = true, false, false
		case c == ' ' || c == '\r':
			// Spaces before a quote still let it open a quoted field.
		default:
			fieldStart, empty = false, false
		}
	}
	best := 0
	for _, n := range counts {
		best = max(best, n)
	}
	return best
}
