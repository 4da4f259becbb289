#[[The metadata of a var: one schema, one builder, used by every macro of the table.

A var's metadata is a dict with Joker's fields, the keys of `META-KEYS`
in that order: `name`, `kind` and its title, `added`, `doc`, the four
signature lines (`go_args`, `go_returns`, `joker_args`, `joker_returns`),
`type` (for a receiver or method: the type it belongs to) and `usage`.
A constant adds `const` (true, as Joker marks it) and `go_type`.

    (var-meta "Dial" "function" "Connects to addr."
              :usage "(Dial addr)" :go-args "(addr string)" :go-returns "(*Client, error)"
              :joker-args "[^String addr]" :joker-returns "[^*Client, ^Error]")
    ; => {"name" "Dial" "kind" "function" "kind_title" "Function" "added" "1.0" ...}

The macros build it when a namespace is compiled, so `doc` may be a form
(a symbol naming a docstring) that is evaluated with the module. The two
return lines follow from the var's result convention:

    (return-lines "pair" "*Client")   ; => #("(*Client, error)" "[^*Client, ^Error]")
    (return-lines "error" None)       ; => #("error" "^Error")]]

;; `unless` at compile time only: importing hyrule would cost every namespace import.
(eval-when-compile (require hyrule [unless]))

(setv META-KEYS #("name" "kind" "kind_title" "added" "doc"
                  "go_args" "go_returns" "joker_args" "joker_returns" "type" "usage"))

;; The kinds of var, titled as Joker's page titles them.
(setv KIND-TITLES {"function" "Function" "receiver" "Receiver" "method" "Method"
                   "type" "Concrete Type" "abstract" "Abstract Type" "constant" "Constant"})

(defn var-meta [name kind doc * [usage ""] [added "1.0"] [type None]
                [go-args None] [go-returns None] [joker-args None] [joker-returns None]
                [go-type None]]
  #[[The metadata dict of one var, its keys those of `META-KEYS` (plus
  `const` and `go_type` for a constant). An unknown kind is refused with
  the known ones.]]
  (setv kind (str kind))
  (unless (in kind KIND-TITLES)
    (raise (ValueError f"var {name}: unknown kind {(repr kind)} ({(.join ", " KIND-TITLES)})")))
  (setv meta (dict (zip META-KEYS [(str name) kind (get KIND-TITLES kind) (str added) doc
                                   go-args go-returns joker-args joker-returns
                                   (and type (str type)) (str usage)])))
  (when (= kind "constant")
    (setv (get meta "const") True (get meta "go_type") (str go-type)))
  meta)

(defn return-lines [result returns [go-returns None] [joker-returns None]]
  #[[The Go and Joker return lines of a var with result convention `result`.

  `pair` is Go's `(T, error)` as `[^T, ^Error]`, `error` is Go's `error`,
  `value` is Go's `T`; `as-is` results give both lines themselves.

      (return-lines "value" "Auth")   ; => #("Auth" "^Auth")]]
  (cond
    (= result "pair") #(f"({returns}, error)" f"[^{returns}, ^Error]")
    (= result "error") #("error" "^Error")
    (= result "value") #(returns f"^{returns}")
    (= result "as-is") (if (and go-returns joker-returns)
                         #(go-returns joker-returns)
                         (raise (ValueError "an as-is result needs :go-returns and :joker-returns")))
    True (raise (ValueError f"unknown result convention {(repr result)} (pair, error, value, as-is)"))))
