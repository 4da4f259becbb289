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
`return-lines` in `go-std.joker.meta`): `pair` gives `[value None]` or
`[None err]`, `error` gives `None` or the error, `value` and `as-is` give
what the call returns. A failure of the call is returned, a bug re-raised.

The macros only parse; `defgo-form` and `defgotype-form` build the code
(from keyword arguments), and `var-meta` (`go-std.joker.meta`) builds every
var's metadata. When editing them, touch the namespace modules too (or clear their
`__pycache__`): Hy caches a module's compiled code by the module's own
source date, not by the macros it used.]]

;; At compile time only: the expansions need nothing of hyrule at run time, and
;; importing hyrule would cost a namespace import about 0.3 s.
(eval-when-compile (require hyrule [defmacro-kwargs defmacro! def-gensyms unless]))
(import keyword)
(import go-std.joker.converters :as converters)
(import go-std.joker.meta [var-meta return-lines])

(defn _local-converter [hint]
  #[[The converter of `hint`: a shared one, imported under a fresh name, or
  the namespace's own of that name. Returns `#(symbol import-form-or-None)`.]]
  (setv name (converters.converter-name hint))
  (if (hasattr converters (hy.mangle name))
    (do (setv alias (hy.gensym name))
        #(alias `(import go-std.joker.converters [~(hy.models.Symbol name) :as ~alias])))
    #((hy.models.Symbol name) None)))

(defn _display-hint [hint]
  ;; A converter that differs from the hint Joker prints.
  (.get {"AuthOrNil" "Auth" "mutableArrayOfByte" "arrayOfByte"} hint hint))

(defn _python-name [arg]
  "The parameter name Python sees: `from` is `from_`, `fromServer` stays."
  (if (keyword.iskeyword arg) (+ arg "_") (hy.mangle arg)))

(defn defgo-form [* kind name args doc call [result "error"] [returns None] [go-returns None]
                  [joker-returns None] [type-name None] [impl None] [self-name None] [added "1.0"]]
  "The code one `defgo` declaration stands for (its options as `defgo` takes them)."
  (setv kind (str kind) name (str name) result (str result))
  (setv triples (lfor k (range 0 (len args) 3) (lfor x (cut args k (+ k 3)) (str x))))
  (setv receiver? (in kind #("receiver" "method")))
  (when (and receiver? (not (and type-name impl)))
    (raise (SyntaxError f"defgo {kind} {name}: give :type and :impl (or declare it in defmembers)")))
  (setv [go-returns joker-returns] (return-lines result (and returns (str returns))
                                                 (and go-returns (str go-returns))
                                                 (and joker-returns (str joker-returns))))
  (setv key (if receiver? f"({type-name}){name}" name))
  (def-gensyms go qualified arguments arity-error arg-error returned attach signature)
  (setv syms (lfor _ triples (hy.gensym "a")))
  (setv imports [])
  ;; A String or Boolean argument costs one inline isinstance test; other
  ;; hints call their converter.
  (setv checks
    (lfor [k [arg hint gotype]] (enumerate triples)
      :setv inline (.get converters.INLINE-CHECKS hint)
      (if inline
        `(when (not (isinstance ~(get syms k) ~(hy.models.Symbol inline)))
           (raise (~arg-error ~qualified ~k ~arg ~hint ~(get syms k))))
        (do (setv [conv import-form] (_local-converter hint))
            (when import-form (.append imports import-form))
            `(setv ~(get syms k) (~conv ~(get syms k) ~k ~arg ~qualified))))))
  (setv call-form `(~call ~@(if receiver? ['self] []) ~@syms))
  (setv body
    (cond
      (= result "pair") `(try [~call-form None] (except [e Exception] [None (~returned e)]))
      (= result "error") `(try ~call-form None (except [e Exception] (~returned e)))
      True call-form))
  (setv meta (var-meta name kind doc :added added :type type-name
                        :go-args (+ "(" (.join ", " (gfor [a h g] triples f"{a} {g}")) ")")
                        :go-returns go-returns
                        :joker-args (+ "[" (.join ", " (gfor [a h g] triples f"^{(_display-hint h)} {a}")) "]")
                        :joker-returns joker-returns
                        :usage (+ "(" (if receiver?
                                        (+ "." name " " (str (or self-name (.lower (.lstrip type-name "*")))))
                                        name)
                                  (.join "" (gfor [a h g] triples (+ " " a))) ")")))
  `(do
     (import go-std.joker.converters [arity-error :as ~arity-error arg-error :as ~arg-error
                                      returned :as ~returned]
             go-std.joker.registry [attach :as ~attach positional-signature :as ~signature])
     ~@imports
     (setv ~qualified (+ (. __joker_ns__ name) "/" ~key))
     (defn ~go [~@(if receiver? ['self] []) #* ~arguments]
       (when (!= (len ~arguments) ~(len triples))
         (raise (~arity-error ~qualified (len ~arguments))))
       ~@(if syms [`(setv [~@syms] ~arguments)] [])
       ~@checks
       ~body)
     ;; Tracebacks name the wrapper as the var, not by its gensym.
     (setv (. ~go __code__) (.replace (. ~go __code__) :co-name ~name)
           (. ~go __name__) ~name
           (. ~go __qualname__) ~name
           (. ~go __signature__) (~signature ~(+ (if receiver? ["self"] [])
                                                     (lfor [a h g] triples (_python-name a)))))
     (~attach __joker_ns__ ~key ~go ~meta)
     ~(if receiver?
        `(setattr ~impl ~name ~go)
        `(setv ~(hy.models.Symbol name) ~go))))

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
  (defgo-form :kind kind :name name :args args :doc doc :call call :result result
              :returns returns :go-returns go-returns :joker-returns joker-returns
              :type-name type :impl impl :self-name self :added added))

(defn _member-form [kind type-name impl member]
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
  `(do ~@(gfor member members (_member-form kind type-name g!impl member))))

(defn defgotype-form [* name impl doc [kind "type"] [make None] [no-make "it is abstract"]
                      [usage ""] [added "1.0"]]
  "The code one `defgotype` declaration stands for (its options as `defgotype` takes them)."
  (setv name (str name))
  (setv meta (var-meta name kind doc :usage usage :added added))
  (def-gensyms attach-type)
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
  (defgotype-form :name name :impl impl :doc doc :kind kind :make make :no-make no-make
                  :usage usage :added added))

(defmacro-kwargs defgoconst [name value doc [gotype "int"] [added "1.0"]]
  #[[Declare an integer constant of a Go namespace, marked `:const true` as Joker marks them.

      (defgoconst VersionTLS12 0x0303 :gotype "uint16" :doc "TLS 1.2.")]]
  (setv name (str name))
  (setv meta (var-meta name "constant" doc :usage name :added added :go-type gotype))
  (def-gensyms attach-constant)
  `(do
     (import go-std.joker.types [attach-constant :as ~attach-constant])
     (setv ~(hy.models.Symbol name) (~attach-constant __joker_ns__ ~name ~value ~meta))))
