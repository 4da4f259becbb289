#[[The registry of a namespace: its vars in order, their metadata and help text.

A namespace module makes one `Namespace` and names it `__joker_ns__`; the
table's macros register every var in it. From it come `help`, the index,
`__all__` and the namespace page (`go_std.docs`):

    (setv __joker_ns__ (Namespace "go.std.net.smtp" __name__ "Implements SMTP."))
    ;; ... the table ...
    (.index __joker_ns__)    ; => ["*Client" "*ServerInfo" "Auth" ...]
    (.exports __joker_ns__)  ; => what `from go_std.net.smtp import *` gives

A var's metadata is a dict with Joker's fields: `name`, `kind`, `added`,
`doc`, `usage`, the four signature lines (`go_args`, `go_returns`,
`joker_args`, `joker_returns`) and, for a receiver or method, `type`. The
two return lines follow from the var's result convention:

    (return-lines "pair" "*Client")   ; => #("(*Client, error)" "[^*Client, ^Error]")
    (return-lines "error" None)       ; => #("error" "^Error")]]

(import inspect textwrap)

(setv META-KEYS #("name" "kind" "added" "doc" "usage" "go_args" "go_returns" "joker_args" "joker_returns"))

;; The signature lines of a var, labelled as Joker's page labels them.
(setv SIGNATURE-LINES #(#("Go input arguments" "go_args") #("Go returns" "go_returns")
                        #("Joker input arguments" "joker_args") #("Joker returns" "joker_returns")))

(setv KIND-TITLES {"function" "Function" "receiver" "Receiver" "method" "Method"
                   "type" "Concrete Type" "abstract" "Abstract Type" "constant" "Constant"})

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

(defn positional-signature [names]
  "A signature of positional-only parameters `names`, as Go's arguments are."
  (inspect.Signature (lfor p names (inspect.Parameter p inspect.Parameter.POSITIONAL_ONLY))))

(defclass Namespace []
  #[[The vars of one namespace, in declaration order, for `help`, the index and the page.

  `vars` maps a var's key (`Dial`, `*Client`, `(*Client)Hello`) to
  `#(var metadata)`; `aliases` maps plain Python names (`PtrClient`) to the
  Hy-only names they stand for; `notes` are extra paragraphs for the
  namespace page's summary.]]

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

  (defn exports [self]
    #[=[The module's `__all__`: the index names that are Python identifiers,
    then the plain aliases, then the mangled forms of the others.

        (.exports ns) ; => ["Auth" ... "PtrClient" "PtrServerInfo" "hyx_XasteriskX..."]]=]
    (setv plain (lfor k (self.index) :if (.isidentifier k) k))
    (+ plain
       (list self.aliases)
       (lfor k (self.index) :if (not (.isidentifier k)) (hy.mangle k))))

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
  (lfor [label key] SIGNATURE-LINES
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
