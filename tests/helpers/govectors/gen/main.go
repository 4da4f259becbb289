// Command gen writes Go's answers into the test vector files beside it.
//
// Each table (quote.json, upper.json, ...) lists inputs chosen by hand; gen
// reads those inputs, runs the Go function the table is named after on the
// bytes each input stands for, and writes the file again with Go's answers.
// The Python tests (tests/test_goformat.py, tests/test_gobase64.py) load the
// files, so they need no Go toolchain; tests/test_govectors.py runs gen into
// a temporary folder and checks that the committed files are what Go says.
//
// dial.json records net.Dial("tcp", addr) without connecting anywhere: a
// Dialer.Control hook stops every attempt before connect(2), so the answer
// is "connect <address>" (the first address Go would connect to) or
// "error <text>" (the address refused before any connection). Names are
// resolved by Go's own resolver, and no input needs DNS.
//
// gen also writes unicode.json: Go's verdict on every code point, which
// smtp_core/gocompat/goformat.py embeds (strconv.IsPrint as ranges, unicode.ToUpper
// as runs with one delta, unicode.IsSpace as a list), in hex.
//
// Usage, from tests/govectors:
//
//	GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod go run ./gen [-dir DIR] [-out DIR]
//
// An input is one of
//
//	{"text": "..."}        a Python str without surrogates
//	{"codepoints": [...]}  a Python str holding lone surrogates (JSON strings
//	                       cannot carry them unambiguously)
//	{"bytes": "..."}       a Python bytes, one character U+0000..U+00FF per byte
//
// and a Python str stands for the bytes smtp_core.gocompat.goformat.go_bytes gives:
// UTF-8, except U+DC80..U+DCFF (one byte 0x80..0xFF, surrogateescape) and
// other surrogates (their three surrogatepass bytes). Answers are "want"
// (text), "want_bytes" (bytes, as above) or "want_offset" (the N of
// base64's "illegal base64 data at input byte N").
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// A table: its file, the Go function it records, and how one answer is made.
type table struct {
	name     string
	function string
	answer   func(in []byte) (field string, value any, err error)
}

var tables = []table{
	{"quote", "strconv.Quote", func(in []byte) (string, any, error) {
		return text(strconv.Quote(string(in)))
	}},
	{"upper", "strings.ToUpper", func(in []byte) (string, any, error) {
		return text(strings.ToUpper(string(in)))
	}},
	{"trim_space", "strings.TrimSpace", func(in []byte) (string, any, error) {
		return "want_bytes", binary(strings.TrimSpace(string(in))), nil
	}},
	{"base64_decode", "base64.StdEncoding.DecodeString", func(in []byte) (string, any, error) {
		out, err := base64.StdEncoding.DecodeString(string(in))
		var corrupt base64.CorruptInputError
		if errors.As(err, &corrupt) {
			return "want_offset", int64(corrupt), nil
		}
		if err != nil {
			return "", nil, err
		}
		return "want_bytes", binary(out), nil
	}},
	{"base64_encode", "base64.StdEncoding.EncodeToString", func(in []byte) (string, any, error) {
		return "want_bytes", binary(base64.StdEncoding.EncodeToString(in)), nil
	}},
	{"dial", "net.Dial(\"tcp\", ...)", func(in []byte) (string, any, error) {
		return text(dialOutcome(string(in)))
	}},
	{"mail_address", "mail.ParseAddress", func(in []byte) (string, any, error) {
		a, err := mail.ParseAddress(string(in))
		if err != nil {
			return "want_bytes", binary("error\x00" + err.Error()), nil
		}
		return "want_bytes", binary("ok\x00" + a.Name + "\x00" + a.Address), nil
	}},
	{"mail_address_list", "mail.ParseAddressList", func(in []byte) (string, any, error) {
		list, err := mail.ParseAddressList(string(in))
		if err != nil {
			return "want_bytes", binary("error\x00" + err.Error()), nil
		}
		out := "ok"
		for _, a := range list {
			out += "\x00" + a.Name + "\x00" + a.Address
		}
		return "want_bytes", binary(out), nil
	}},
	{"mail_address_string", "(*mail.Address).String of \"name\\x00address\"", func(in []byte) (string, any, error) {
		name, address, _ := strings.Cut(string(in), "\x00")
		return "want_bytes", binary((&mail.Address{Name: name, Address: address}).String()), nil
	}},
	{"mail_date", "mail.ParseDate", func(in []byte) (string, any, error) {
		t, err := mail.ParseDate(string(in))
		if err != nil {
			return "want_bytes", binary("error\x00" + err.Error()), nil
		}
		name, offset := t.Zone()
		return "want_bytes", binary(fmt.Sprintf("ok\x00%s\x00%s\x00%d", t.Format("2006-01-02T15:04:05.999999999"), name, offset)), nil
	}},
	{"mail_message", "mail.ReadMessage, then Header keys (sorted) and values, and the Body", func(in []byte) (string, any, error) {
		msg, err := mail.ReadMessage(bytes.NewReader(in))
		if err != nil {
			return "want_bytes", binary("error\x00" + err.Error()), nil
		}
		keys := make([]string, 0, len(msg.Header))
		for k := range msg.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := "ok"
		for _, k := range keys {
			out += "\x00" + k + "\x00" + strings.Join(msg.Header[k], "\x01")
		}
		body, _ := io.ReadAll(msg.Body)
		return "want_bytes", binary(out + "\x00\x00" + string(body)), nil
	}},
}

var errStopped = errors.New("stopped before connect")

// dialOutcome is where net.Dial would connect first, or why it would not.
func dialOutcome(addr string) string {
	first := ""
	d := net.Dialer{
		Resolver: &net.Resolver{PreferGo: true},
		Control: func(network, address string, c syscall.RawConn) error {
			if first == "" {
				first = address
			}
			return errStopped
		},
	}
	_, err := d.Dial("tcp", addr)
	if first != "" {
		return "connect " + first
	}
	return "error " + err.Error()
}

// binary marks bytes to be written one character per byte.
type binary []byte

func text(s string) (string, any, error) {
	if !utf8.ValidString(s) {
		return "", nil, fmt.Errorf("answer %q is not valid UTF-8: record it as bytes", s)
	}
	return "want", s, nil
}

// input is one vector's input as read from a table file.
type input struct {
	Text       *string `json:"text"`
	Codepoints []rune  `json:"codepoints"`
	Bytes      *string `json:"bytes"`
}

// goBytes returns the bytes the input stands for.
func (in input) goBytes() ([]byte, error) {
	switch {
	case in.Text != nil:
		return []byte(*in.Text), nil
	case in.Codepoints != nil:
		var out []byte
		for _, r := range in.Codepoints {
			switch {
			case 0xDC80 <= r && r <= 0xDCFF:
				out = append(out, byte(r-0xDC00))
			case 0xD800 <= r && r <= 0xDFFF:
				out = append(out, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
			case r < 0 || r > utf8.MaxRune:
				return nil, fmt.Errorf("code point %d out of range", r)
			default:
				out = utf8.AppendRune(out, r)
			}
		}
		return out, nil
	case in.Bytes != nil:
		var out []byte
		for _, r := range *in.Bytes {
			if r > 0xFF {
				return nil, fmt.Errorf("bytes %q: U+%04X is not a byte", *in.Bytes, r)
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return nil, errors.New(`an input needs "text", "codepoints" or "bytes"`)
}

// write appends the input in canonical form: text without surrogates as
// "text", text with them as "codepoints".
func (in input) write(buf *bytes.Buffer) {
	switch {
	case in.Bytes != nil:
		buf.WriteString(`"bytes": `)
		writeString(buf, []rune(*in.Bytes))
	case in.Codepoints != nil && !hasSurrogate(in.Codepoints):
		buf.WriteString(`"text": `)
		writeString(buf, in.Codepoints)
	case in.Codepoints != nil:
		buf.WriteString(`"codepoints": [`)
		for i, r := range in.Codepoints {
			if i > 0 {
				buf.WriteString(", ")
			}
			buf.WriteString(strconv.Itoa(int(r)))
		}
		buf.WriteString("]")
	default:
		buf.WriteString(`"text": `)
		writeString(buf, []rune(*in.Text))
	}
}

func hasSurrogate(runes []rune) bool {
	for _, r := range runes {
		if 0xD800 <= r && r <= 0xDFFF {
			return true
		}
	}
	return false
}

// writeString writes a JSON string in ASCII, as Python's json.dumps does:
// printable ASCII as is, the rest escaped (astral runes as surrogate pairs).
func writeString(buf *bytes.Buffer, runes []rune) {
	buf.WriteByte('"')
	for _, r := range runes {
		switch {
		case r == '"' || r == '\\':
			buf.WriteByte('\\')
			buf.WriteRune(r)
		case r == '\n':
			buf.WriteString(`\n`)
		case r == '\r':
			buf.WriteString(`\r`)
		case r == '\t':
			buf.WriteString(`\t`)
		case 0x20 <= r && r < 0x7F:
			buf.WriteRune(r)
		case r < 0x10000:
			fmt.Fprintf(buf, `\u%04x`, r)
		default:
			r -= 0x10000
			fmt.Fprintf(buf, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		}
	}
	buf.WriteByte('"')
}

func writeValue(buf *bytes.Buffer, value any) {
	switch v := value.(type) {
	case string:
		writeString(buf, []rune(v))
	case binary:
		runes := make([]rune, len(v))
		for i, b := range v {
			runes[i] = rune(b)
		}
		writeString(buf, runes)
	case int64:
		buf.WriteString(strconv.FormatInt(v, 10))
	default:
		panic(fmt.Sprintf("no JSON form for %T", value))
	}
}

// generate reads one table's inputs from dir and writes the table to out.
func generate(t table, dir, out string) error {
	path := filepath.Join(dir, t.name+".json")
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var file struct {
		Vectors []input `json:"vectors"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"go\": %q, \"function\": %q, \"written_by\": \"tests/govectors/gen\",\n \"vectors\": [\n",
		runtime.Version(), t.function)
	for i, in := range file.Vectors {
		raw, err := in.goBytes()
		if err != nil {
			return fmt.Errorf("%s: vector %d: %w", path, i, err)
		}
		field, value, err := t.answer(raw)
		if err != nil {
			return fmt.Errorf("%s: vector %d: %w", path, i, err)
		}
		buf.WriteString("  {")
		in.write(&buf)
		fmt.Fprintf(&buf, ", %q: ", field)
		writeValue(&buf, value)
		buf.WriteString("}")
		if i < len(file.Vectors)-1 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	buf.WriteString(" ]}\n")
	return os.WriteFile(filepath.Join(out, t.name+".json"), buf.Bytes(), 0o644)
}

// writeUnicode writes unicode.json: the whole answer of strconv.IsPrint,
// unicode.ToUpper and unicode.IsSpace, as maximal runs.
func writeUnicode(out string) error {
	var printable, upper, space []string
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if strconv.IsPrint(r) {
			lo := r
			for r+1 <= unicode.MaxRune && strconv.IsPrint(r+1) {
				r++
			}
			printable = append(printable, hexRange(lo, r, ""))
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if delta := unicode.ToUpper(r) - r; delta != 0 {
			lo := r
			for r+1 <= unicode.MaxRune && unicode.ToUpper(r+1)-(r+1) == delta {
				r++
			}
			upper = append(upper, hexRange(lo, r, fmt.Sprintf(":%+x", delta)))
		}
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if unicode.IsSpace(r) {
			space = append(space, hexRange(r, r, ""))
		}
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{\"go\": %q, \"unicode\": %q, \"written_by\": \"tests/govectors/gen\",\n", runtime.Version(), unicode.Version)
	writeTokens(&buf, "strconv.IsPrint", printable, ",")
	writeTokens(&buf, "unicode.ToUpper", upper, ",")
	writeTokens(&buf, "unicode.IsSpace", space, "}")
	return os.WriteFile(filepath.Join(out, "unicode.json"), buf.Bytes(), 0o644)
}

// hexRange is "lo-hi" or "lo" in lower-case hex, then suffix.
func hexRange(lo, hi rune, suffix string) string {
	if lo == hi {
		return fmt.Sprintf("%x%s", lo, suffix)
	}
	return fmt.Sprintf("%x-%x%s", lo, hi, suffix)
}

// writeTokens writes one key's tokens, ten to a line.
func writeTokens(buf *bytes.Buffer, key string, tokens []string, end string) {
	fmt.Fprintf(buf, " %q: [", key)
	for i, token := range tokens {
		switch {
		case i%10 == 0:
			buf.WriteString("\n  ")
		default:
			buf.WriteString(" ")
		}
		fmt.Fprintf(buf, "%q", token)
		if i < len(tokens)-1 {
			buf.WriteString(",")
		}
	}
	buf.WriteString("\n ]" + end + "\n")
}

func main() {
	dir := flag.String("dir", ".", "folder of the table files to read")
	out := flag.String("out", "", "folder to write the tables to (default: -dir)")
	flag.Parse()
	if *out == "" {
		*out = *dir
	}
	for _, t := range tables {
		if err := generate(t, *dir, *out); err != nil {
			fmt.Fprintln(os.Stderr, "gen:", err)
			os.Exit(1)
		}
	}
	if err := writeUnicode(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
