#[[The table's syntax: `defgo`, `defmembers` and `defgotype`.

Each declaration of a namespace's table becomes the checked wrapper, its
metadata and its help text, registered in the module's `__joker_ns__`:

    (require go-std.joker.macros [defgo defmembers defgotype])

    (defgo function Dial [addr String "string"]
      :doc "Connects to addr and reads the greeting."
      :result pair :returns "*Client"
      :call connect-client)

    (defmembers receiver "*Client" GoClient
      (Noop []
        :doc "Sends NOOP."
        :call CoreClient.noop))

    (defgotype *Client :impl GoClient :doc "A connection to an SMTP server."
      :no-make "make one with Dial or NewClient")

An argument is a triple `name Hint "go type"`; the hint names a converter
(see `go-std.joker.converters`), found among the shared ones or else in the
namespace module. `:result` is the Joker shape of the result (see
`return-lines` in `go-std.joker.registry`): `pair` gives `[value None]` or
`[None err]`, `error` gives `None` or the error, `value` and `as-is` give
what the call returns. A failure of the call is returned, a bug re-raised.

The macros only parse; `defgo-form` and `defgotype-form` build the code.
When editing them, touch the namespace modules too (or clear their
`__pycache__`): Hy caches a module's compiled code by the module's own
source date, not by the macros it used.]]

;; At compile time only: the expansions need nothing of hyrule at run time, and
;; importing hyrule would cost a namespace import about 0.3 s.
(eval-when-compile (require hyrule [defmacro-kwargs defmacro!]))
(import keyword)
(import go-std.joker.converters :as converters)
(import go-std.joker.registry [KIND-TITLES return-lines])

(defn local-converter [hint]
  #[[The converter of `hint`: a shared one, imported under a fresh name, or
  the namespace's own of that name. Returns `#(symbol import-form-or-None)`.]]
  (setv name (converters.converter-name hint))
  (if (hasattr converters (hy.mangle name))
    (do (setv alias (hy.gensym name))
        #(alias `(import go-std.joker.converters [~(hy.models.Symbol name) :as ~alias])))
    #((hy.models.Symbol name) None)))

(defn display-hint [hint]
  ;; A converter that differs from the hint Joker prints.
  (.get {"AuthOrNil" "Auth" "mutableArrayOfByte" "arrayOfByte"} hint hint))

(defn python-name [arg]
  "The parameter name Python sees: `from` is `from_`, `fromServer` stays."
  (if (keyword.iskeyword arg) (+ arg "_") (hy.mangle arg)))

(defn defgo-form [kind name args doc call result returns go-returns joker-returns type-name impl self-name added]
  "The code one `defgo` declaration stands for."
  (setv kind (str kind) name (str name) result (str result))
  (setv triples (lfor k (range 0 (len args) 3) (lfor x (cut args k (+ k 3)) (str x))))
  (setv receiver? (in kind #("receiver" "method")))
  (when (and receiver? (not (and type-name impl)))
    (raise (SyntaxError f"defgo {kind} {name}: give :type and :impl (or declare it in defmembers)")))
  (setv [go-returns joker-returns] (return-lines result (and returns (str returns))
                                                 (and go-returns (str go-returns))
                                                 (and joker-returns (str joker-returns))))
  (setv key (if receiver? f"({type-name}){name}" name))
  (setv [fn-sym q-sym arguments arity-error arg-error returned attach signature]
        (lfor s ["go" "qualified" "args" "arity-error" "arg-error" "returned" "attach" "signature"]
              (hy.gensym s)))
  (setv syms (lfor _ triples (hy.gensym "a")))
  (setv imports [])
  ;; A String or Boolean argument costs one inline isinstance test; other
  ;; hints call their converter.
  (setv checks
    (lfor [k [arg hint gotype]] (enumerate triples)
      :setv inline (.get converters.INLINE-CHECKS hint)
      (if inline
        `(when (not (isinstance ~(get syms k) ~(hy.models.Symbol inline)))
           (raise (~arg-error ~q-sym ~k ~arg ~hint ~(get syms k))))
        (do (setv [conv import-form] (local-converter hint))
            (when import-form (.append imports import-form))
            `(setv ~(get syms k) (~conv ~(get syms k) ~k ~arg ~q-sym))))))
  (setv call-form `(~call ~@(if receiver? ['self] []) ~@syms))
  (setv body
    (cond
      (= result "pair") `(try [~call-form None] (except [e Exception] [None (~returned e)]))
      (= result "error") `(try ~call-form None (except [e Exception] (~returned e)))
      True call-form))
  (setv meta {"name" name "kind" kind "kind_title" (get KIND-TITLES kind)
              "added" (str added)
              "doc" doc
              "go_args" (+ "(" (.join ", " (gfor [a h g] triples f"{a} {g}")) ")")
              "go_returns" go-returns
              "joker_args" (+ "[" (.join ", " (gfor [a h g] triples f"^{(display-hint h)} {a}")) "]")
              "joker_returns" joker-returns
              "type" (and type-name (str type-name))
              "usage" (+ "(" (if receiver?
                                 (+ "." name " " (str (or self-name (.lower (.lstrip type-name "*")))))
                                 name)
                         (.join "" (gfor [a h g] triples (+ " " a))) ")")})
  `(do
     (import go-std.joker.converters [arity-error :as ~arity-error arg-error :as ~arg-error
                                      returned :as ~returned]
             go-std.joker.registry [attach :as ~attach positional-signature :as ~signature])
     ~@imports
     (setv ~q-sym (+ (. __joker_ns__ name) "/" ~key))
     (defn ~fn-sym [~@(if receiver? ['self] []) #* ~arguments]
       (when (!= (len ~arguments) ~(len triples))
         (raise (~arity-error ~q-sym (len ~arguments))))
       ~@(if syms [`(setv [~@syms] ~arguments)] [])
       ~@checks
       ~body)
     ;; Tracebacks name the wrapper as the var, not by its gensym.
     (setv (. ~fn-sym __code__) (.replace (. ~fn-sym __code__) :co-name ~name)
           (. ~fn-sym __name__) ~name
           (. ~fn-sym __qualname__) ~name
           (. ~fn-sym __signature__) (~signature ~(+ (if receiver? ["self"] [])
                                                     (lfor [a h g] triples (python-name a)))))
     (~attach __joker_ns__ ~key ~fn-sym ~meta)
     ~(if receiver?
        `(setattr ~impl ~name ~fn-sym)
        `(setv ~(hy.models.Symbol name) ~fn-sym))))

(defmacro-kwargs defgo [kind name args doc call
                        [result "error"] [returns None] [go-returns None] [joker-returns None]
                        [type None] [impl None] [self None] [added "1.0"]]
  #[[Declare one var of a Go namespace: a function, or a receiver or method of a type.

      (defgo function NAME [arg Hint "go type" ...]
        :doc "..." :call CALLABLE
        :result pair|error|value|as-is  :returns "Type"
        [:go-returns "..." :joker-returns "..."]   ; only for as-is
        [:added "1.0"])

  A receiver also needs `:type "*Client" :impl CLASS` (which `defmembers`
  supplies); it is called `(CALLABLE self arg ...)`, becomes method NAME
  of CLASS, and `:self w` names the receiver in its usage line (default:
  the type's name in lower case). The converted arguments are passed
  positionally to CALLABLE. The module must define `__joker_ns__`.]]
  (defgo-form kind name args doc call result returns go-returns joker-returns type impl self added))

(defn member-form [kind type-name impl member]
  "The `defgo` of one member `(Name [args] options...)` of a `defmembers` group."
  (setv [name args #* options] member)
  ;; It keeps the member's place in the source, for tracebacks.
  (.replace `(defgo ~kind ~name ~args :type ~(str type-name) :impl ~impl ~@options) member))

(defmacro! defmembers [kind type-name o!impl #* members]
  #[[Declare the receivers (or methods) of one type, each as `defgo` would.

      (defmembers receiver "*Client" GoClient
        (Noop [] :doc "Sends NOOP." :call CoreClient.noop)
        (Rcpt [to String "string"] :doc "Adds a recipient." :call CoreClient.rcpt))

  is `(defgo receiver Noop [] :type "*Client" :impl GoClient ...)` and so
  on: the type and its implementation class are said once.]]
  `(do ~@(gfor member members (member-form kind type-name g!impl member))))

(defn defgotype-form [name impl doc kind make no-make usage added]
  "The code one `defgotype` declaration stands for."
  (setv name (str name) kind (str kind))
  (setv meta {"name" name "kind" kind "kind_title" (get KIND-TITLES kind)
              "added" (str added)
              "doc" doc
              "go_args" None "go_returns" None "joker_args" None "joker_returns" None
              "type" None
              "usage" (str usage)})
  (setv attach-type (hy.gensym "attach-type"))
  `(do
     (import go-std.joker.types [attach-type :as ~attach-type])
     (setv ~(hy.models.Symbol name)
           (~attach-type __joker_ns__ ~name ~impl ~meta ~(if (is make None) 'None make) ~(str no-make)))))

(defmacro-kwargs defgotype [name impl doc [kind "type"] [make None] [no-make "it is abstract"]
                            [usage ""] [added "1.0"]]
  #[[Declare a type var of a Go namespace.

      (defgotype *Client :kind type|abstract :impl CLASS :doc "..."
        [:make CONSTRUCTOR] [:no-make "why it has none"] [:usage "(...)"])

  The var is a class: `isinstance` asks CLASS, calling it runs CONSTRUCTOR
  (or raises with the reason), `help` shows the doc.]]
  (defgotype-form name impl doc kind make no-make usage added))

(defmacro-kwargs defgoconst [name value doc [gotype "int"] [added "1.0"]]
  #[[Declare an integer constant of a Go namespace, marked `:const true` as Joker marks them.

      (defgoconst VersionTLS12 0x0303 :gotype "uint16" :doc "TLS 1.2.")]]
  (setv name (str name))
  (setv meta {"name" name "kind" "constant" "kind_title" (get KIND-TITLES "constant")
              "added" (str added) "doc" doc "const" True
              "go_args" None "go_returns" None "joker_args" None "joker_returns" None
              "type" None "usage" name "go_type" (str gotype)})
  (setv attach-constant (hy.gensym "attach-constant"))
  `(do
     (import go-std.joker.types [attach-constant :as ~attach-constant])
     (setv ~(hy.models.Symbol name) (~attach-constant __joker_ns__ ~name ~value ~meta))))
