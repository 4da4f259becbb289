"The Hy client of the benchmark: go-std.net.smtp with Go's names.

Each function sends and returns `#(messages message-bytes)`; an error
value from the namespace is raised, so a result means every message was
accepted.

    (one-conn \"127.0.0.1:2525\" 10 b\"Subject: x\\r\\n\\r\\nhi\\r\\n\")"

(import go-std.net.smtp :as smtp)
(import bench.clients [SENDER RECIPIENT STREAM-CHUNK])

(defn send-n [c n msg]
  "n messages on client c: Mail, Rcpt, Data, Write, Close."
  (for [_ (range n)]
    (setv err (.Mail c SENDER))
    (when err (raise err))
    (setv err (.Rcpt c RECIPIENT))
    (when err (raise err))
    (setv [w err] (.Data c))
    (when err (raise err))
    (setv [_ err] (.Write w msg))
    (when err (raise err))
    (setv err (.Close w))
    (when err (raise err))))

(defn one-conn [addr n msg]
  "One connection, n messages (send-n), then Quit."
  (setv [c err] (smtp.Dial addr))
  (when err (raise err))
  (try
    (send-n c n msg)
    (setv err (.Quit c))
    (when err (raise err))
    (finally
      (when (not c.closed) (.Close c))))
  #(n (* n (len msg))))

(defn per-conn [addr n msg]
  "SendMail: a new connection per message."
  (for [_ (range n)]
    (setv err (smtp.SendMail addr None SENDER [RECIPIENT] msg))
    (when err (raise err)))
  #(n (* n (len msg))))

(defn stream [addr path]
  "One message read from path in 64 KiB chunks, each handed to Write."
  (setv size 0)
  (with [f (open path "rb")]
    (setv [c err] (smtp.Dial addr))
    (when err (raise err))
    (try
      (setv err (.Mail c SENDER))
      (when err (raise err))
      (setv err (.Rcpt c RECIPIENT))
      (when err (raise err))
      (setv [w err] (.Data c))
      (when err (raise err))
      (while True
        (setv chunk (.read f STREAM-CHUNK))
        (when (not chunk) (break))
        (setv [k err] (.Write w chunk))
        (when err (raise err))
        (+= size k))
      (setv err (.Close w))
      (when err (raise err))
      (setv err (.Quit c))
      (when err (raise err))
      (finally
        (when (not c.closed) (.Close c)))))
  #(1 size))
