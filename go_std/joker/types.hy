#[[Classes that stand for Go types: a type var is a class, a slice is a checked list.

`go-type` makes the class behind a type var such as `*Client`: it is the
var itself, `isinstance` asks the implementation class, calling it builds a
value (or says why there is no constructor) and `help` shows the Go members:

    (isinstance c smtp.*Client)   ; => True for a client from Dial
    (smtp.*Client)                ; TypeError: go.std.net.smtp/*Client has no
                                  ;   constructor: make one with Dial or NewClient

`array-type` makes Joker's `arrayOfX`: a list whose every element is checked
when it is added.

    (smtp.arrayOfAuth [a 42])
    ; ArgumentError: arrayOfAuth: element 1 must have type Auth, got Int]]

(import inspect)
(import go-std.joker.converters [ArgumentError joker-type-name arity-error arg-error])
(import go-std.joker.registry [attach])


(defclass GoTypeMeta [type]
  #[[Metaclass of the classes that stand for Go types in a namespace.

  Such a class is the var itself: `(isinstance c smtp.*Client)` asks the
  implementation class behind it, calling it builds a value (or refuses, for
  a type with no constructor), and `help` shows its documentation and its
  receivers or methods (and only those: `dir` lists the Go members).

  Subclassing a var subclasses its implementation instead, so a Hy class
  `(defclass MyAuth [smtp.Auth] ...)` is an ordinary class: it inherits none
  of the var's metadata attributes, and `isinstance` works both ways.]]

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
  #[[A checked Go slice: `arrayOfAuth` and friends build these.

  Every element is checked when the array is built and when one is added;
  a wrong one is refused with its index:

      (smtp.arrayOfAuth [a 42])
      ; ArgumentError: arrayOfAuth: element 1 must have type Auth, got Int]]

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

(defn attach-type [ns name impl meta make no-make]
  "Make the class standing for type `name` and register it in `ns`."
  (attach ns name (go-type ns name impl meta make no-make) meta))

(defclass GoConstant [int]
  #[[A Go integer constant: the number itself, with Joker's metadata (`const` true).

      (= tls.VersionTLS12 0x0303)   ; => True
      tls.VersionTLS12.const        ; => True]]
  (defn __repr__ [self] (int.__repr__ self))
  (setv __str__ __repr__))

(defn attach-constant [ns name value meta]
  "Make the constant `name` (an int with metadata) and register it in `ns`."
  (attach ns name (GoConstant value) meta))

(defn struct-maker [qualified defaults build [check-names True]]
  #[[The constructor of a Go struct type: `(T {"Field" v})`, `(T :Field v)` or both.

  `defaults` maps the field names (in Go's order) to their zero values, for
  the signature and the error texts; `build` gets the given fields as a dict
  (keyword keys as their names) and checks their values. An unknown field
  is misuse, named with the known ones, unless `check-names` is false
  (then `build` says it).

      (setv make (struct-maker "go.std.net/Dialer" {"Timeout" 0} (fn [f] f)))
      (make {"Timeout" 5})   ; => {"Timeout" 5}
      (make :Color 1)        ; ArgumentError: go.std.net/Dialer has no field "Color" (fields: Timeout)]]
  (defn make [#* args #** fields]
    (when (> (len args) 1)
      (raise (arity-error qualified (len args))))
    (when (and args (not (isinstance (get args 0) dict)))
      (raise (arg-error qualified 0 "fields" "Map" (get args 0))))
    (setv given {})
    (for [[k v] (.items (if args (get args 0) {}))]
      (setv (get given (if (isinstance k hy.models.Keyword) k.name k)) v))
    (.update given fields)
    (when check-names
      (for [k given]
        (when (not-in k defaults)
          (raise (ArgumentError (+ qualified " has no field " (hy.repr k)
                                   " (fields: " (.join ", " defaults) ")"))))))
    (build given))
  (setv make.__signature__
        (inspect.Signature [(inspect.Parameter "fields" inspect.Parameter.POSITIONAL_ONLY :default None)
                            #* (gfor [f zero] (.items defaults)
                                     (inspect.Parameter f inspect.Parameter.KEYWORD_ONLY :default zero))]))
  make)
