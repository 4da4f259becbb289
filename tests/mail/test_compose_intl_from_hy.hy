"International addresses and S/MIME from Hy keyword maps, as docs/compose.md shows them."

(import pytest)
(import smtp-core)

(defn test-u-label-addresses-go-out-as-a-labels []
  (setv m (smtp-core.message {:from "Åsa <asa@bücher.test>" :to "Bob Bücher <bob@bücher.test>"
                              :reply-to "jürgen@example.com" :body "hi\n"}))
  (setv [sender recipients data] (smtp-core.envelope m))
  (assert (= sender "asa@xn--bcher-kva.test"))
  (assert (= recipients ["bob@xn--bcher-kva.test"]))
  (assert (in "To: Bob Bücher <bob@xn--bcher-kva.test>\r\n" (.decode data "utf-8")))  ; UTF-8 headers
  (assert (.endswith (get m "Message-ID") "@xn--bcher-kva.test>")))

(defn test-smime-keys-are-keywords []
  (with [caught (pytest.raises smtp-core.ComposeError)]
    (smtp-core.message {:from "a@example.com" :body "x" :smime {:encrypt-to ["/nonexistent/bob.pem"]}}))
  (assert (in ":smime :encrypt-to[0]: cannot read the file '/nonexistent/bob.pem'" (str caught.value)))
  (with [caught (pytest.raises smtp-core.ComposeError)]
    (smtp-core.message {:from "a@example.com" :body "x" :smime {:crt "a.pem"}}))
  (assert (in ":smime: unknown key :crt; did you mean :cert?" (str caught.value))))
