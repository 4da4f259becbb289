#[[Joker's conventions for a Go namespace, declared as one table.

A namespace module describes each var once and gets from that one
description: the wrapper that checks and converts its arguments, the Go
result in Joker's shape (`[result err]`, nil-or-error, or a plain value),
the metadata a program can read, the text `help` shows, and its entry in
the namespace page (see `go_std.docs`).

    (require go-std.joker.macros [defgo defmembers defgotype])
    (import go-std.joker [Namespace])

    (setv __joker_ns__ (Namespace "go.std.net.smtp" __name__ "Implements SMTP."))

    (defgo function Dial [addr String "string"]
      :doc "Connects to addr and reads the server's greeting."
      :result pair :returns "*Client"
      :call connect-client)

    (setv __all__ (.exports __joker_ns__))

Failures (protocol, reply and I/O errors) are returned, never raised.
Misuse (a wrong argument type or count) raises at once: it is a bug in the
caller, and Joker raises too.

One topic per module:

  converters  argument checks (`conv-<Hint>`), `ArgumentError`,
              `ArityError`, and `returned`, which tells a failure from a bug
  types       the classes that stand for Go types, checked arrays, struct
              constructors from a map (`struct-maker`) and constants
  registry    `Namespace`: the vars in order, their metadata, help text,
              the return lines of each result convention, the exports
  macros      `defgo`, `defmembers`, `defgotype`: the table's syntax]]

(import go-std.joker.converters [ArgumentError ArityError arg-error arity-error returned
                                 joker-type-name converter-name
                                 conv-String conv-Boolean conv-Int conv-arrayOfByte
                                 conv-arrayOfString conv-go_std_net_Conn]
        go-std.joker.types [GoTypeMeta GoArray go-type array-type array-maker attach-type struct-maker]
        go-std.joker.registry [Namespace SIGNATURE-LINES META-KEYS KIND-TITLES return-lines
                               signature-lines render-help attach])

