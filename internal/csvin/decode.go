package csvin

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode returns raw as UTF-8 text and the name of the encoding it was in.
// A byte-order mark decides; without one, valid UTF-8 is UTF-8 and
// anything else is read as Windows-1252, what Excel saves as "CSV" on a
// western Windows (Latin-1 files read the same in all but a few control
// characters). UTF-16 without a byte-order mark is not guessed: its ASCII
// text is full of NUL bytes, which Read refuses with advice.
func decode(raw []byte) ([]byte, string) {
	var text []byte
	var enc string
	switch {
	case bytes.HasPrefix(raw, bomUTF8):
		text, enc = raw[len(bomUTF8):], "utf-8-bom"
		if !utf8.Valid(text) {
			// A mark that lies: read the rest as Windows-1252 like any
			// other file that is not UTF-8.
			text, enc = windows1252(text), "windows-1252"
		}
	case bytes.HasPrefix(raw, bomUTF16LE):
		text, enc = utf16(raw, unicode.LittleEndian), "utf-16le"
	case bytes.HasPrefix(raw, bomUTF16BE):
		text, enc = utf16(raw, unicode.BigEndian), "utf-16be"
	case utf8.Valid(raw):
		text, enc = raw, "utf-8"
	default:
		text, enc = windows1252(raw), "windows-1252"
	}
	// A file saved twice over may carry a second mark; it is never part
	// of the first column's name.
	for bytes.HasPrefix(text, bomUTF8) {
		text = text[len(bomUTF8):]
	}
	return text, enc
}

// utf16 decodes UTF-16 with its byte-order mark (dropped); a lone
// surrogate or an odd last byte becomes U+FFFD.
func utf16(raw []byte, order unicode.Endianness) []byte {
	out, err := unicode.UTF16(order, unicode.ExpectBOM).NewDecoder().Bytes(raw)
	if err != nil {
		// The decoder replaces what it cannot read and fails only
		// without a mark, which the caller has checked.
		panic("csvin: utf-16: " + err.Error())
	}
	return out
}

func windows1252(raw []byte) []byte {
	out, err := charmap.Windows1252.NewDecoder().Bytes(raw)
	if err != nil {
		panic("csvin: windows-1252: " + err.Error()) // every byte has a character
	}
	return out
}
