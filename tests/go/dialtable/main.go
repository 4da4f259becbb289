// Command dialtable records what Go's net.Dial("tcp", addr) makes of each
// address in a list: the error text when the address itself is refused
// (SplitHostPort, port parsing, host lookup), or the first address Go
// would connect to.  It never connects anywhere: a Dialer.Control hook
// stops every attempt before connect(2).
//
//	go run . < ../dial_inputs.json > ../dial_table.json
//
// Run with GOTOOLCHAIN=local GOFLAGS=-mod=mod GOPROXY=off CGO_ENABLED=0
// GODEBUG=netdns=go, so that names are looked up only in /etc/hosts (the
// inputs hold no name that would need DNS).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"syscall"
)

var errStop = errors.New("stopped before connect")

type row struct {
	Addr    string `json:"addr"`
	Err     string `json:"err,omitempty"`
	Connect string `json:"connect,omitempty"`
}

func main() {
	var inputs []string
	if err := json.NewDecoder(os.Stdin).Decode(&inputs); err != nil {
		fmt.Fprintln(os.Stderr, "dialtable:", err)
		os.Exit(2)
	}
	rows := []row{}
	for _, addr := range inputs {
		first := ""
		d := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
			if first == "" {
				first = address
			}
			return errStop
		}}
		_, err := d.Dial("tcp", addr)
		r := row{Addr: addr}
		if first != "" {
			r.Connect = first
		} else if err != nil {
			r.Err = err.Error()
		}
		rows = append(rows, r)
	}
	out := map[string]any{"go": runtime.Version(), "rows": rows}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "dialtable:", err)
		os.Exit(2)
	}
}
