"Joker's conventions for a Go namespace, declared as one table.

A namespace module describes each var once, with `defgo`, and gets from
that one description: the wrapper that checks and converts its arguments,
the Go-style result (`[result err]`, `None`-or-error, or a plain value), the
metadata a program can read, the text `help` shows, and its entry in the
namespace page (see `go_std.docs`).

    (defgo function Dial [addr String \"string\"]
      :doc \"Connects to addr ...\"
      :go-returns \"(*Client, error)\"
      :result pair :returns \"*Client\"
      :call connect-client)

Result conventions (`:result`):

  pair   `[value None]` on success, `[None err]` on failure
  error  `None` on success, the error value on failure
  value  the value itself (no failure possible)
  as-is  the call already returns the Joker value (e.g. `[ok param]`)

Failures (protocol, reply and I/O errors) are returned, never raised.
Misuse (a wrong argument type or count) raises at once: it is a bug in the
caller, and Joker raises too.

The argument hints are Joker's: `String`, `Boolean`, `Int`,
`arrayOfString`, `arrayOfByte`, `Auth`, `go.std.net/Conn`, ... Each hint
names a converter `conv-<Hint>` in this module; the namespace may add its
own (e.g. `conv-*tls.Config`).

When editing the macros here, touch the namespace modules too (or clear
their `__pycache__`): Hy caches a module's compiled code by the module's own
source date, not by the macros it used."

(import inspect keyword socket textwrap)
(import smtp-core.client [FAILURES])

;; ------------------------------------------------------------ errors

(defclass ArgumentError [TypeError]
  "An argument of the wrong type: a programming error, raised at once.")

(defclass ArityError [TypeError]
  "A call with the wrong number of arguments, raised at once.")

(defn arity-error [qualified n]
  (ArityError f"Wrong number of args ({n}) passed to {qualified}"))

(setv JOKER-TYPE-NAMES
  {str "String" int "Int" float "Double" bool "Boolean" (type None) "Nil"
   list "Vector" tuple "Vector" dict "Map" bytes "arrayOfByte" bytearray "arrayOfByte"
   set "MapSet" frozenset "MapSet" hy.models.Keyword "Keyword" hy.models.Symbol "Symbol"})

(defn joker-type-name [x]
  "The Joker name of a value's type, for error messages."
  (setv go-name (getattr (type x) "__go_name__" None))
  (cond
    go-name go-name
    (in (type x) JOKER-TYPE-NAMES) (get JOKER-TYPE-NAMES (type x))
    (isinstance x socket.socket) "go.std.net/Conn"
    True (. (type x) __name__)))

(defn arg-error [qualified i name expected x [detail ""]]
  (ArgumentError
    f"Arg[{i}] ({name}) of {qualified} must have type {expected}, got {(joker-type-name x)}{detail}"))

(defn returned [e]
  "Hand back `e` as an error value if it is a failure of the call; re-raise a bug."
  (if (or (isinstance e FAILURES) (getattr e "_go_returned" False))
    e
    (raise e)))

;; ------------------------------------------------------------ converters
;; Each takes (value position name qualified-var-name) and returns the
;; converted value or raises ArgumentError.  The common case is one type test.

(defn conv-String [x i name q]
  (if (isinstance x str) x (raise (arg-error q i name "String" x))))

(defn conv-Boolean [x i name q]
  (if (isinstance x bool) x (raise (arg-error q i name "Boolean" x))))

(defn conv-Int [x i name q]
  (if (and (isinstance x int) (not (isinstance x bool))) x (raise (arg-error q i name "Int" x))))

(defn conv-arrayOfByte [x i name q]
  "Joker's ^arrayOfByte: bytes as they are, a str as its UTF-8 bytes."
  (cond
    (isinstance x bytes) x
    (isinstance x #(bytearray memoryview)) (bytes x)
    (isinstance x str) (.encode x "utf-8" "surrogateescape")
    True (raise (arg-error q i name "arrayOfByte" x))))

(defn conv-arrayOfString [x i name q]
  "Joker's ^arrayOfString: a list or tuple (or vector) of str, never a bare str."
  (when (not (isinstance x #(list tuple)))
    (raise (arg-error q i name "arrayOfString" x)))
  (for [[k v] (enumerate x)]
    (when (not (isinstance v str))
      (raise (arg-error q i name "arrayOfString" x
                        f" (element {k} is {(joker-type-name v)})"))))
  (list x))

(defn conv-go_std_net_Conn [x i name q]
  (if (isinstance x socket.socket) x (raise (arg-error q i name "go.std.net/Conn" x))))

;; ------------------------------------------------------------ types as vars

(defclass GoTypeMeta [type]
  "Metaclass of the classes that stand for Go types in a namespace.

  Such a class is the var itself: `(isinstance c smtp.*Client)` asks the
  implementation class behind it, calling it builds a value (or refuses, for
  a type with no constructor), and `help` shows its documentation and its
  receivers or methods (and only those: `dir` lists the Go members).

  Subclassing a var subclasses its implementation instead, so a Hy class
  `(defclass MyAuth [smtp.Auth] ...)` is an ordinary class: it inherits none
  of the var's metadata attributes, and `isinstance` works both ways."

  (defn __new__ [mcs name bases ns]
    (if (in "__go_impl__" ns)
      (type.__new__ mcs name bases ns)
      (type name (tuple (gfor b bases (.get (getattr b "__dict__" {}) "__go_impl__" b))) ns)))

  (defn __instancecheck__ [cls x]
    (if (in "__go_impl__" cls.__dict__)
      (isinstance x (get cls.__dict__ "__go_impl__"))
      (type.__instancecheck__ cls x)))

  (defn __subclasscheck__ [cls sub]
    (if (in "__go_impl__" cls.__dict__)
      (issubclass sub (get cls.__dict__ "__go_impl__"))
      (type.__subclasscheck__ cls sub)))

  (defn __call__ [cls #* args #** kwargs]
    (setv make (.get cls.__dict__ "__go_make__"))
    (cond
      (in "__go_impl__" cls.__dict__)
        (if make
          (make #* args #** kwargs)
          (raise (TypeError f"{cls.__go_qualified__} has no constructor: {cls.__go_no_make__}")))
      True (type.__call__ cls #* args #** kwargs)))

  (defn __dir__ [cls]
    ;; What `help` and tab completion show: the type's Go receivers or
    ;; methods, not the Python API of the class behind it.
    (if (in "__go_members__" cls.__dict__)
      (list (get cls.__dict__ "__go_members__"))
      (type.__dir__ cls)))

  (defn [property] __signature__ [cls]
    ;; `help` prints the constructor's signature, or none when there is none.
    (setv make (.get cls.__dict__ "__go_make__"))
    (if make
      (inspect.signature make)
      (raise (ValueError f"{cls.__go_qualified__} has no constructor"))))

  (defn __repr__ [cls]
    (if (in "__go_impl__" cls.__dict__)
      f"<go type {cls.__go_qualified__}>"
      (type.__repr__ cls))))

(defn go-type [ns name impl meta [make None] [no-make "it is abstract"]]
  "The class that stands for Go type `name`, implemented by class `impl`."
  (setv attrs (dict meta))
  (setv (get attrs "__go_impl__") impl
        (get attrs "__go_make__") (if make (staticmethod make) None)
        (get attrs "__go_no_make__") no-make
        (get attrs "__go_qualified__") f"{ns.name}/{name}"
        (get attrs "__go_members__") #()
        (get attrs "__module__") ns.module
        (get attrs "__qualname__") name)
  (GoTypeMeta name #(impl) attrs))

(defclass GoArray [list]
  "A checked Go slice: `arrayOfAuth` and friends build these.

  Every element is checked when the array is built and when one is added;
  a wrong one is refused with its index:

      (smtp.arrayOfAuth [a 42])
      ; ArgumentError: arrayOfAuth: element 1 must have type Auth, got Int"

  (setv elem-name "?" elem-check None)

  (defn __init__ [self [items #()]]
    (.__init__ (super) (lfor [k v] (enumerate items) (self.checked k v))))

  (defn checked [self k v]
    (when (not ((. (type self) elem-check) v))
      (raise (ArgumentError
               f"{(. (type self) __go_name__)}: element {k} must have type {self.elem-name}, got {(joker-type-name v)}")))
    v)

  (defn append [self v] (.append (super) (self.checked (len self) v)))
  (defn insert [self k v] (.insert (super) k (self.checked k v)))
  (defn extend [self vs]
    (setv base (len self))
    (.extend (super) (lfor [k v] (enumerate vs) (self.checked (+ base k) v))))
  (defn __setitem__ [self k v]
    (if (isinstance k slice)
      (.__setitem__ (super) k (lfor [j x] (enumerate v) (self.checked j x)))
      (.__setitem__ (super) k (self.checked k v))))
  (defn __iadd__ [self vs] (.extend self vs) self)
  (defn __repr__ [self]
    ;; Read back in Hy, `(arrayOfAuth a b)` builds the same array.
    (+ (.join " " [(+ "(" (. (type self) __go_name__)) #* (map hy.repr self)]) ")")))

(defn array-type [elem-name elem-check [module None]]
  "A GoArray subclass (`ArrayOfX`, Joker's `arrayOfX`) whose elements must pass `elem-check`."
  (type f"ArrayOf{elem-name}" #(GoArray)
        {"elem_name" elem-name
         "elem_check" (staticmethod elem-check)
         "__go_name__" f"arrayOf{elem-name}"
         "__module__" (or module __name__)}))

(defn array-maker [array-class]
  "Build from items, or from one list/tuple of items: (arrayOfAuth a b) or (arrayOfAuth [a b])."
  (defn make [#* items]
    (if (and (= (len items) 1) (isinstance (get items 0) #(list tuple)))
      (array-class (get items 0))
      (array-class items)))
  (setv make.__signature__ (inspect.Signature [(inspect.Parameter "items" inspect.Parameter.VAR_POSITIONAL)]))
  make)

;; ------------------------------------------------------------ metadata

(setv META-KEYS #("name" "kind" "added" "doc" "usage" "go_args" "go_returns" "joker_args" "joker_returns"))

(defclass Namespace []
  "The vars of one namespace, in declaration order, for `help`, the index and the page.

  `vars` maps a var's key (`Dial`, `*Client`, `(*Client)Hello`) to
  `#(var metadata)`; `aliases` maps plain Python names (`PtrClient`) to the
  Hy-only names they stand for; `notes` are extra paragraphs for the
  namespace page's summary."

  (defn __init__ [self name module doc [notes #()]]
    (setv self.name name self.module module self.doc doc self.notes (list notes)
          self.vars {} self.aliases {}))

  (defn add [self key var meta]
    (setv (get self.vars key) #(var meta))
    (setv owner (.get meta "type"))
    ;; A type learns its receivers whichever of the two is declared first.
    (cond
      (and owner (in owner self.vars)) (self.refresh-type owner)
      (in (get meta "kind") #("type" "abstract")) (self.refresh-type key))
    var)

  (defn refresh-type [self key]
    (setv [var meta] (get self.vars key))
    (setv var.__go_members__ (tuple (self.members-of key))
          var.__doc__ (render-help self key meta)))

  (defn alias [self python-name key]
    "Record that `python-name` is the plain name of var `key`; return the var."
    (setv (get self.aliases python-name) key)
    (get (get self.vars key) 0))

  (defn index [self]
    "The namespace's own vars (not receivers or methods), sorted as Joker's page sorts them."
    (sorted (gfor [k [v m]] (.items self.vars) :if (not-in (get m "kind") #("receiver" "method")) k)))

  (defn members-of [self type-name [kind None]]
    "Names of the receivers (or methods) declared for type `type-name`, sorted."
    (sorted (gfor [k [v m]] (.items self.vars)
                  :if (and (in (get m "kind") #("receiver" "method"))
                           (= (.get m "type") type-name)
                           (or (is kind None) (= (get m "kind") kind)))
                  (get m "name"))))

  (defn member [self type-name name]
    "The var and metadata of receiver/method `name` of `type-name`."
    (get self.vars (+ "(" type-name ")" name)))

  (defn of-kind [self #* kinds]
    "Index names whose kind is one of `kinds`."
    (lfor k (self.index) :if (in (get (get self.vars k) 1 "kind") kinds) k)))

(defn signature-lines [meta]
  "The four signature lines of a var, as Joker's page shows them."
  (lfor [label key] [["Go input arguments" "go_args"] ["Go returns" "go_returns"]
                     ["Joker input arguments" "joker_args"] ["Joker returns" "joker_returns"]]
        :if (.get meta key)
        (+ label ": " (get meta key))))

(defn var-title [ns name meta]
  "`ns/Name`, or `ns/(*Type)Name` for a receiver or method."
  (if (in (get meta "kind") #("receiver" "method"))
    (+ ns.name "/(" (get meta "type") ")" (get meta "name"))
    (+ ns.name "/" name)))

(defn kind-line [meta]
  "`Receiver for *Client`, `Function`, ... as the page and `help` title them."
  (if (in (get meta "kind") #("receiver" "method"))
    (+ (get meta "kind_title") " for " (get meta "type"))
    (get meta "kind_title")))

(defn short-name [ns]
  "The alias a user usually imports the namespace as: `smtp` for go.std.net.smtp."
  (get (.rsplit ns.name "." 1) -1))

(defn render-help [ns name meta]
  "The text `help` shows for a var: title, usage, doc, signatures, members."
  (setv members (if (in (get meta "kind") #("type" "abstract")) (ns.members-of name) []))
  (setv width (max (gfor m members (len (get (ns.member name m) 1 "usage"))) :default 0))
  (.join "\n"
    [(+ (var-title ns name meta) "  (" (kind-line meta) ", v" (get meta "added") ")")
     ""
     #* (if (get meta "usage") [(+ "Usage: " (get meta "usage")) ""] [])
     ;; Wrapped for a terminal; the page keeps each doc as one paragraph.
     (textwrap.fill (get meta "doc") 72 :break-long-words False :break-on-hyphens False)
     #* (if (signature-lines meta) ["" #* (signature-lines meta)] [])
     #* (if members
          [""
           (+ (if (= (get meta "kind") "abstract") "Methods" "Receivers") ":")
           #* (gfor m members
                    :setv mm (get (ns.member name m) 1)
                    (+ "  " (.ljust (get mm "usage") width) "  => " (get mm "joker_returns")))
           ""
           (+ "Each has its own page: (help " (short-name ns) "." name "." (get members 0) ")")]
          [])]))

(defn attach [ns key var meta]
  "Give `var` its metadata as attributes and its help text, and register it."
  (for [[k v] (.items meta)]
    (setattr var k v))
  (setv var.qualified (var-title ns key meta))
  (setv var.__doc__ (render-help ns key meta))
  (.add ns key var meta))

(setv KIND-TITLES {"function" "Function" "receiver" "Receiver" "method" "Method"
                   "type" "Concrete Type" "abstract" "Abstract Type"})

;; ------------------------------------------------------------ the table macro

(defn _opts [forms]
  "Split a macro's trailing forms into keyword options."
  (setv opts {} i 0 forms (list forms))
  (while (< i (len forms))
    (setv k (get forms i))
    (when (not (isinstance k hy.models.Keyword))
      (raise (SyntaxError (+ "defgo: expected a keyword option, got " (repr k)))))
    (setv (get opts k.name) (get forms (+ i 1)))
    (+= i 2))
  opts)

(defn converter-name [hint]
  "The converter a hint names: `conv-` plus the hint, dots and slashes as `_`."
  (+ "conv-" (.replace (.replace (str hint) "." "_") "/" "_")))

(setv INLINE-CHECKS {"String" "str" "Boolean" "bool"})

(defn _display-hint [hint]
  ;; A few converter names differ from the hint Joker prints.
  (.get {"AuthOrNil" "Auth" "*tls.Config" "*tls.Config"} hint hint))

(defmacro defgo [kind name args #* options]
  "Declare one var of a Go namespace: function, receiver or method.

  `(defgo function NAME [arg Hint \"go type\" ...] :doc \"...\" :go-returns \"...\"
          :result pair|error|value|as-is :returns \"Type\" :call CALLABLE)`

  For a receiver add `:type \"*Client\" :impl CLASS`; the call is then
  `(CALLABLE self arg ...)` and the wrapper becomes method NAME of CLASS
  (`:self w` names the receiver in the usage line; default: the type's
  name in lower case).
  The converted arguments are passed positionally to CALLABLE.  The module
  must define `__joker_ns__`, its `Namespace`."
  (setv opts (_opts options))
  (setv kind (str kind) name (str name))
  (setv triples (lfor k (range 0 (len args) 3) (cut args k (+ k 3))))
  (setv receiver? (in kind #("receiver" "method")))
  (setv type-name (when receiver? (str (get opts "type"))))
  (setv fn-sym (hy.models.Symbol (+ "_go_" (.replace (.replace (str (.get opts "type" "")) "*" "ptr_") "." "_")
                                    (if receiver? "_" "") name)))
  ;; The var's full name, computed once when the module loads.
  (setv q-sym (hy.models.Symbol (+ "_q" (str fn-sym))))
  (setv qualified q-sym)
  (setv syms (lfor k (range (len triples)) (hy.models.Symbol f"_a{k}")))
  ;; Checks are inline: a String or Boolean argument costs one isinstance
  ;; test; other hints call their converter, found when the module loads.
  (setv checks
    (lfor [k [arg hint gotype]] (enumerate triples)
      :setv inline (.get INLINE-CHECKS (str hint))
      (if inline
        `(when (not (isinstance ~(get syms k) ~(hy.models.Symbol inline)))
           (raise (arg-error ~qualified ~k ~(str arg) ~(str hint) ~(get syms k))))
        `(setv ~(get syms k)
               (~(hy.models.Symbol (converter-name hint))
                 ~(get syms k) ~k ~(str arg) ~qualified)))))
  (setv unpack (when syms `(setv [~@syms] _args)))
  (setv call-args (if receiver? [(hy.models.Symbol "self") #* syms] syms))
  (setv call `(~(get opts "call") ~@call-args))
  (setv result (str (.get opts "result" "error")))
  (setv body
    (cond
      (= result "pair") `(try [~call None] (except [_e Exception] [None (returned _e)]))
      (= result "error") `(try ~call None (except [_e Exception] (returned _e)))
      True call))
  (setv py-names (lfor [a h g] triples (if (keyword.iskeyword (str a)) (+ (str a) "_") (hy.mangle (str a)))))
  (setv self-param (if receiver? [(hy.models.Symbol "self")] []))
  (setv go-args (+ "(" (.join ", " (lfor [a h g] triples f"{a} {g}")) ")"))
  (setv joker-args (+ "[" (.join ", " (lfor [a h g] triples f"^{(_display-hint (str h))} {a}")) "]"))
  (setv returns (.get opts "returns"))
  (setv joker-returns
    (cond
      (= result "pair") f"[^{returns}, ^Error]"
      (= result "error") "^Error"
      True (str (.get opts "joker-returns" (if returns f"^{returns}" "")))))
  (setv meta {"name" name "kind" kind "kind_title" (get KIND-TITLES kind)
              "added" (str (.get opts "added" "1.0"))
              "doc" (get opts "doc")
              "go_args" go-args "go_returns" (str (.get opts "go-returns" ""))
              "joker_args" joker-args "joker_returns" joker-returns
              "type" type-name
              "usage" (+ "(" (if receiver?
                                 (+ "." name " " (str (.get opts "self" (.lower (.lstrip type-name "*")))))
                                 name)
                         (.join "" (lfor [a h g] triples (+ " " (str a)))) ")")})
  (setv key (if receiver? (+ "(" type-name ")" name) name))
  `(do
     (setv ~q-sym (+ (. __joker_ns__ name) "/" ~key))
     (defn ~fn-sym [~@self-param #* _args]
       (when (!= (len _args) ~(len triples))
         (raise (arity-error ~qualified (len _args))))
       ~unpack
       ~@checks
       ~body)
     (setv (. ~fn-sym __name__) ~name
           (. ~fn-sym __qualname__) ~name)
     (import inspect [Signature Parameter])
     (setv (. ~fn-sym __signature__)
           (Signature (lfor _p ~(+ (if receiver? ["self"] []) py-names)
                            (Parameter _p Parameter.POSITIONAL_ONLY))))
     (attach __joker_ns__ ~key ~fn-sym ~meta)
     ~(if receiver?
        `(setattr ~(get opts "impl") ~name ~fn-sym)
        `(setv ~(hy.models.Symbol name) ~fn-sym))))

(defn attach-type [ns name impl meta make no-make]
  "Make the class standing for type `name` and register it."
  (attach ns name (go-type ns name impl meta make no-make) meta))

(defmacro defgotype [name #* options]
  "Declare a type var of a Go namespace.

  `(defgotype *Client :kind type|abstract :impl CLASS :doc \"...\"
              [:make CONSTRUCTOR] [:no-make \"why it has none\"] [:usage \"(...)\"])`

  The var is a class: `isinstance` asks CLASS, calling it runs CONSTRUCTOR
  (or raises with the reason), `help` shows the doc."
  (setv opts (_opts options) name (str name))
  (setv kind (str (.get opts "kind" "type")))
  (setv meta {"name" name "kind" kind "kind_title" (get KIND-TITLES kind)
              "added" (str (.get opts "added" "1.0"))
              "doc" (get opts "doc")
              "go_args" None "go_returns" None "joker_args" None "joker_returns" None
              "type" None
              "usage" (str (.get opts "usage" ""))})
  `(setv ~(hy.models.Symbol name)
         (attach-type __joker_ns__ ~name ~(get opts "impl") ~meta
                      ~(.get opts "make" 'None) ~(str (.get opts "no-make" "it is abstract")))))
