// Command bench-go is the Go side of the gostd-smtp benchmark: it sends
// mail with Go's net/smtp to a sink and prints one JSON line with the time
// and CPU spent in the sending loop (process start-up excluded).
//
//	bench-go -addr 127.0.0.1:2525 -case one-conn -n 2000 -msg msg.eml
//	bench-go -addr 127.0.0.1:2525 -case per-conn -n 500 -msg msg.eml
//	bench-go -addr 127.0.0.1:2525 -case stream -msg big.eml
//
// Cases: one-conn (one connection, n messages: Mail, Rcpt, Data, Write,
// Close), per-conn (smtp.SendMail, a new connection per message), stream
// (one message copied from the file into the Data writer with io.Copy).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/smtp"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	sender    = "bench@example.com"
	recipient = "sink@example.com"
)

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSKiB is the process's own peak resident set (VmHWM in
// /proc/self/status); Getrusage's Maxrss would include the image of the
// parent this process was forked from.
func peakRSSKiB() int64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "VmHWM:" {
			kib, _ := strconv.ParseInt(fields[1], 10, 64)
			return kib
		}
	}
	return 0
}

func oneConnection(addr string, n int, msg []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	for i := 0; i < n; i++ {
		if err := c.Mail(sender); err != nil {
			return err
		}
		if err := c.Rcpt(recipient); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		if _, err := w.Write(msg); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	return c.Quit()
}

func perConnection(addr string, n int, msg []byte) error {
	for i := 0; i < n; i++ {
		if err := smtp.SendMail(addr, nil, sender, []string{recipient}, msg); err != nil {
			return err
		}
	}
	return nil
}

func stream(addr string, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	c, err := smtp.Dial(addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.Mail(sender); err != nil {
		return 0, err
	}
	if err := c.Rcpt(recipient); err != nil {
		return 0, err
	}
	w, err := c.Data()
	if err != nil {
		return 0, err
	}
	copied, err := io.Copy(w, f)
	if err != nil {
		return copied, err
	}
	if err := w.Close(); err != nil {
		return copied, err
	}
	return copied, c.Quit()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:2525", "sink address")
	benchCase := flag.String("case", "one-conn", "one-conn, per-conn or stream")
	n := flag.Int("n", 100, "messages (one-conn, per-conn)")
	msgPath := flag.String("msg", "", "message file")
	flag.Parse()

	var msg []byte
	if *benchCase != "stream" {
		var err error
		if msg, err = os.ReadFile(*msgPath); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	messages, payload := *n, int64(*n)*int64(len(msg))
	cpu0, t0 := cpuSeconds(), time.Now()
	var err error
	switch *benchCase {
	case "one-conn":
		err = oneConnection(*addr, *n, msg)
	case "per-conn":
		err = perConnection(*addr, *n, msg)
	case "stream":
		messages = 1
		payload, err = stream(*addr, *msgPath)
	default:
		err = fmt.Errorf("unknown case %q", *benchCase)
	}
	seconds, cpu := time.Since(t0).Seconds(), cpuSeconds()-cpu0
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-go:", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"messages": messages, "bytes": payload, "seconds": seconds, "cpu": cpu,
		"peak_rss_kib": peakRSSKiB(),
	})
}
