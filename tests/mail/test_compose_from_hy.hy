"Composing mail from Hy with keyword maps, as docs/compose.md shows it."

(import os pytest dkim)
(import dkim [dknewkey])
(import email.policy)
(import email.parser [BytesParser])
(import smtp-core)
(import go-std.net.smtp :as smtp)

(defn addr-of [server] f"127.0.0.1:{server.port}")

(defn parse [raw] (.parsebytes (BytesParser :policy email.policy.default) raw))

(defn issue-message [dir]
  (with [f (open (os.path.join dir "report.csv") "wb")] (.write f b"a,b\r\n1,2\r\n"))
  (with [f (open (os.path.join dir "logo.png") "wb")] (.write f b"\x89PNG\r\n\x1a\nlogo"))
  (setv data b"\x00\x01\x02")
  (smtp-core.message
    {:from "Åsa Öberg <asa@example.com>"
     :to ["bob@example.com" "Cécile <cecile@example.org>"]
     :cc "dan@example.com"  :bcc ["eve@example.net"]  :reply-to "noreply@example.com"
     :subject "Grüße ✓"  :headers {"X-Campaign" "q4"}
     :body [[:alternative {:type "text/plain" :content "Hello"}
                          {:type "text/html"  :content "<p>Hello <img src=\"cid:logo\"></p>"}]
            {:type :inline     :path (os.path.join dir "logo.png") :content-id "logo"}
            {:type :attachment :path (os.path.join dir "report.csv")}
            {:type :attachment :content data :file-name "x.bin" :content-type "application/octet-stream"}]}))

(defn check-arrived [raw]
  (setv got (parse raw))
  (assert (= (get got "Subject") "Grüße ✓"))
  (assert (= (. (get (. (get got "From") addresses) 0) display-name) "Åsa Öberg"))
  (assert (= (lfor p (.walk got) (.get-content-type p))
             ["multipart/mixed" "multipart/alternative" "text/plain" "multipart/related" "text/html"
              "image/png" "text/csv" "application/octet-stream"]))
  (setv parts (list (.walk got)))
  (assert (= (get (get parts 5) "Content-ID") "<logo>"))
  (assert (= (.get-payload (get parts 6) :decode True) b"a,b\r\n1,2\r\n"))
  (assert (= (.get-content (get parts 7)) b"\x00\x01\x02"))
  (assert (not-in b"eve@example.net" raw)))

(defn test-the-issue-example-through-sendmail [devserver pki tmp-path monkeypatch]
  ;; SendMail upgrades to TLS and trusts the system store, as Go does.
  (.setenv monkeypatch "SSL_CERT_FILE" pki.ca-path)
  (setv m (issue-message (str tmp-path)))
  (setv [from to data] (smtp-core.envelope m))
  (assert (is None (smtp.SendMail (addr-of devserver) None from to data)))
  (setv [got] (.wait-for devserver 1))
  (assert got.tls)
  (assert (= got.envelope-to #("bob@example.com" "cecile@example.org" "dan@example.com" "eve@example.net")))
  (check-arrived got.raw))

(defn test-the-issue-example-through-send [devserver tmp-path]
  (setv m (issue-message (str tmp-path)))
  (setv r (smtp-core.send (addr-of devserver) #* (smtp-core.envelope m) :tls "none" :timeout 10))
  (assert (= (len r.accepted) 4))
  (check-arrived (. (get (.wait-for devserver 1) 0) raw)))

(defn test-a-typo-is-named-with-the-key-it-meant []
  (with [caught (pytest.raises smtp-core.ComposeError)]
    (smtp-core.message {:from "a@example.com" :subjcet "x"}))
  (assert (in "unknown key :subjcet; did you mean :subject?" (str caught.value)))
  (with [caught (pytest.raises smtp-core.ComposeError)]
    (smtp-core.message {:from "a@example.com" :body [{:type :attachment :path "/nonexistent/r.csv"}]}))
  (assert (= "body[0]: cannot read the file given as :path (No such file or directory)" (str caught.value)))
  (with [caught (pytest.raises smtp-core.ComposeError)]
    (smtp-core.message {:from "a@example.com" :body [:alternativ "x"]}))
  (assert (in "did you mean :alternative?" (str caught.value))))

(defn test-dkim-from-hy [tmp-path]
  (setv key (str (/ tmp-path "s1.key")))
  (setv seed (dknewkey.GenEd25519Keys key :verbose False))
  (dknewkey.ExtractEd25519PublicKey (str (/ tmp-path "s1.dns")) seed :verbose False)
  (setv record (.read-bytes (/ tmp-path "s1.dns")))
  (setv signed (smtp-core.dkim-sign (smtp-core.message {:from "a@example.com" :to "b@example.com" :body "hi"})
                                    :domain "example.com" :selector "s1" :private-key key
                                    :algorithm "ed25519-sha256"))
  (assert (.startswith signed b"DKIM-Signature:"))
  (assert (dkim.verify signed :dnsfunc (fn [name [timeout 5]] record))))

(defn test-send-a-composed-message-with-dkim-as-the-issue-writes-it [devserver tmp-path]
  (setv key (str (/ tmp-path "s1.key")))
  (dknewkey.GenRSAKeys key :verbose False)
  (dknewkey.ExtractRSADnsPublicKey key (str (/ tmp-path "s1.dns")) :verbose False)
  (setv record (.read-bytes (/ tmp-path "s1.dns")))
  (setv m (issue-message (str tmp-path)))
  (setv r (smtp-core.send (addr-of devserver) m :tls "none" :timeout 10
                          :dkim {:domain "example.com" :selector "s1" :private-key key}))
  (assert (= (len r.accepted) 4))
  (setv [got] (.wait-for devserver 1))
  (assert (.startswith got.raw b"DKIM-Signature: v=1; a=rsa-sha256"))
  (assert (dkim.verify got.raw :dnsfunc (fn [name [timeout 5]] record)))
  (check-arrived got.raw)
  (with [caught (pytest.raises smtp-core.DKIMError)]
    (smtp-core.send (addr-of devserver) m :tls "none" :dkim {:domain "example.com" :selector "s1" :private-kye key}))
  (assert (in "did you mean :private-key?" (str caught.value))))
