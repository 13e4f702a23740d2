// custodia portal: the upload page's drop zone. Files dropped on the zone,
// or chosen with its file input, go one resumable upload each (tus, through
// tus-js-client in tus.min.js) to /uploads/, with a progress bar per file; a
// refused file shows the server's message beside it while the others go
// on. When a batch ends, the page asks for its receipt (POST /receipt with
// the ids of the uploads' audit rows) and shows it. Without this script the
// same form posts the files in one request.
//
// A batch goes a few files at a time (parallel, under the server's cap of
// unfinished uploads per user); a file already being sent from this page
// is not sent twice. Where a cut-off upload is (its fingerprint: folder,
// name, size) is kept in sessionStorage, not localStorage: it resumes
// within the tab, and nothing of it is left for the next user of a shared
// computer once the tab is closed.
(function () {
  "use strict";
  var form = document.getElementById("upload");
  if (!form || !window.tus || !tus.isSupported || !window.fetch || !window.DOMParser) {
    return; // the plain form works
  }
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var drop = document.getElementById("drop");
  var input = document.getElementById("files");
  var list = document.getElementById("progress");
  var batchBox = document.getElementById("batch");
  var receipts = document.getElementById("receipts");
  var seq = 0;
  // parallel is how many files go at once: well under the server's cap
  // of unfinished uploads per user (tus.DefaultMaxUnfinished, 16).
  var parallel = 3;
  // receiptMax is how many files one receipt may name
  // (letter.MaxReceiptFiles): a larger batch gets several receipts.
  var receiptMax = 1000;
  var queue = []; // files waiting for a place
  var running = 0;
  var sending = {}; // fingerprints of the files queued or being sent

  // A file dropped next to the zone must not make the browser open it in
  // place of the page.
  ["dragover", "drop"].forEach(function (type) {
    window.addEventListener(type, function (e) {
      e.preventDefault();
    });
  });
  // Leaving the page would cut the uploads off: the browser asks first.
  window.addEventListener("beforeunload", function (e) {
    if (running || queue.length) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  // sessionUrls is tus-js-client's urlStorage over sessionStorage: a
  // cut-off upload's URL, under its fingerprint, for as long as the tab.
  var sessionUrls = {
    findAllUploads: function () {
      return this._find("tus::");
    },
    findUploadsByFingerprint: function (fp) {
      return this._find("tus::" + fp + "::");
    },
    removeUpload: function (key) {
      sessionStorage.removeItem(key);
      return Promise.resolve();
    },
    addUpload: function (fp, upload) {
      var key = "tus::" + fp + "::" + Date.now() + "-" + Math.random().toString(36).slice(2);
      sessionStorage.setItem(key, JSON.stringify(upload));
      return Promise.resolve(key);
    },
    _find: function (prefix) {
      var out = [];
      for (var i = 0; i < sessionStorage.length; i++) {
        var key = sessionStorage.key(i);
        if (key && key.indexOf(prefix) === 0) {
          try {
            var u = JSON.parse(sessionStorage.getItem(key));
            u.urlStorageKey = key;
            out.push(u);
          } catch (e) {
            sessionStorage.removeItem(key);
          }
        }
      }
      return Promise.resolve(out);
    },
  };

  // With the script, choosing files starts their upload: no submit button.
  form.querySelector(".send").hidden = true;
  form.querySelector(".drop-hint").hidden = false;
  input.required = false;
  drop.classList.add("active");

  function stop(e) {
    e.preventDefault();
    e.stopPropagation();
  }
  drop.addEventListener("dragenter", function (e) {
    stop(e);
    drop.classList.add("over");
  });
  drop.addEventListener("dragover", function (e) {
    stop(e);
    if (e.dataTransfer) {
      e.dataTransfer.dropEffect = "copy";
    }
  });
  drop.addEventListener("dragleave", function (e) {
    stop(e);
    drop.classList.remove("over");
  });
  drop.addEventListener("drop", function (e) {
    stop(e);
    drop.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) {
      send(e.dataTransfer.files);
    }
  });
  input.addEventListener("change", function () {
    if (input.files.length) {
      send(input.files);
      input.value = "";
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (input.files.length) {
      send(input.files);
      input.value = "";
    }
  });

  // The server's refusal, as it sends it: "ERR_CODE: sentence", the
  // sentence in the page's language (the server translates tusd's own
  // errors too).
  function messageOf(err) {
    var res = err && err.originalResponse;
    var body = res ? res.getBody() : "";
    var m = /^ERR_[A-Z_]+: (.+)/.exec((body || "").trim());
    return m ? m[1] : form.dataset.failed;
  }

  // Retry only what a retry can mend: a dropped connection, a locked
  // upload, an offset the client must ask again, the cap of
  // unfinished uploads (places held by uploads a closed tab abandoned
  // free up), a proxy's error; never a refusal of the file.
  function shouldRetry(err) {
    var res = err && err.originalResponse;
    if (!res) {
      return true;
    }
    var status = res.getStatus();
    var body = (res.getBody() || "").trim();
    if (status === 423) {
      return true;
    }
    // 409 and 429 also answer refusals of the file (ERR_FILE_EXISTS…).
    if (status === 409) {
      return /^ERR_MISMATCHED_OFFSET\b/.test(body);
    }
    if (status === 429) {
      return /^ERR_TOO_MANY_UPLOADS\b/.test(body);
    }
    return status >= 500 && !/^ERR_/.test(body);
  }

  // fingerprint names a file dropped into this folder: the same one
  // again resumes it, or is not sent twice at once.
  function fingerprint(f) {
    return ["custodia", form.dataset.folder, f.name, f.type, f.size, f.lastModified].join("\n");
  }

  // row adds a file's line: its name, a labelled progress bar, the
  // percent as text, and a place for its message.
  function row(file) {
    var id = "up-" + ++seq;
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.htmlFor = id;
    label.className = "name";
    label.textContent = file.name;
    var bar = document.createElement("progress");
    bar.id = id;
    bar.max = 100;
    bar.value = 0;
    var pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = "0 %";
    var msg = document.createElement("span");
    msg.className = "msg";
    msg.setAttribute("role", "status");
    li.append(label, " ", bar, " ", pct, " ", msg);
    list.appendChild(li);
    return {
      li: li,
      progress: function (n) {
        bar.value = n;
        pct.textContent = n + " %";
      },
      done: function () {
        bar.value = 100;
        pct.textContent = "100 %";
        li.classList.add("ok");
        msg.textContent = form.dataset.done;
      },
      skipped: function (text) {
        li.classList.add("skipped");
        msg.textContent = text;
      },
      failed: function (text) {
        li.classList.add("refused");
        msg.setAttribute("role", "alert");
        msg.textContent = text;
      },
    };
  }

  // one uploads a file; it resolves to the id of its audit row, 0 when it
  // was refused or failed, or -1 when it was stored but the server named
  // no audit row (the receipt then says a file is missing from it).
  function one(file, r) {
    return new Promise(function (resolve) {
      var up = new tus.Upload(file, {
        endpoint: form.dataset.endpoint,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        chunkSize: 16 * 1024 * 1024,
        headers: { "X-CSRF-Token": token },
        metadata: { filename: file.name, folder: form.dataset.folder },
        removeFingerprintOnSuccess: true,
        urlStorage: sessionUrls,
        // Resume only an upload of the same file into the same folder.
        fingerprint: function (f) {
          return Promise.resolve(fingerprint(f));
        },
        onShouldRetry: shouldRetry,
        onProgress: function (sent, total) {
          r.progress(total > 0 ? Math.floor((sent * 100) / total) : 100);
        },
        onSuccess: function (payload) {
          var res = payload && payload.lastResponse;
          var id = res ? parseInt(res.getHeader("Custodia-Audit-Id"), 10) : NaN;
          r.done();
          resolve(id > 0 ? id : -1);
        },
        onError: function (err) {
          r.failed(messageOf(err));
          resolve(0);
        },
      });
      // A file sent before and cut off goes on where it stopped.
      up.findPreviousUploads()
        .then(function (previous) {
          if (previous.length) {
            up.resumeFromPreviousUpload(previous[0]);
          }
        })
        .catch(function () {}) // no earlier upload to resume: start anew
        .then(function () {
          up.start();
        })
        .catch(function () {
          r.failed(form.dataset.failed);
          resolve(0);
        });
    });
  }

  // pump starts queued files while there is a place.
  function pump() {
    while (running < parallel && queue.length) {
      var job = queue.shift();
      running++;
      one(job.file, job.row).then(job.finish);
    }
  }

  // enqueue puts a file in the queue; it resolves as one does. A file
  // already queued or being sent from this page is not sent again: its
  // line says so and it resolves to 0.
  function enqueue(file) {
    var r = row(file);
    var fp = fingerprint(file);
    if (sending[fp]) {
      r.skipped(form.dataset.twice);
      return Promise.resolve(0);
    }
    sending[fp] = true;
    return new Promise(function (resolve) {
      queue.push({
        file: file,
        row: r,
        finish: function (id) {
          delete sending[fp];
          running--;
          resolve(id);
          pump();
        },
      });
      pump();
    });
  }

  // send uploads a batch, then shows its receipt.
  function send(files) {
    batchBox.hidden = false;
    var all = [];
    for (var i = 0; i < files.length; i++) {
      all.push(enqueue(files[i]));
    }
    Promise.all(all).then(function (ids) {
      var missing = ids.filter(function (id) {
        return id < 0;
      }).length;
      ids = ids.filter(function (id) {
        return id > 0;
      });
      // Later parts first: the receipts read in the batch's order.
      for (var j = Math.ceil(ids.length / receiptMax) - 1; j >= 0; j--) {
        receipt(ids.slice(j * receiptMax, (j + 1) * receiptMax));
      }
      if (missing) {
        var p = document.createElement("p");
        p.className = "alert";
        p.setAttribute("role", "alert");
        p.textContent = form.dataset.missing.replace("%d", String(missing));
        receipts.prepend(p);
      }
    });
  }

  // receipt asks for the receipt of (part of) the batch's uploads and
  // shows it above the earlier ones.
  function receipt(ids) {
    var body = new URLSearchParams();
    body.append("csrf", token);
    ids.forEach(function (id) {
      body.append("id", String(id));
    });
    var wait = document.createElement("p");
    wait.textContent = form.dataset.waiting;
    receipts.prepend(wait);
    fetch(form.dataset.receipt, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": token },
      body: body,
    })
      .then(function (res) {
        if (!res.ok) {
          throw new Error("receipt " + res.status);
        }
        return res.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var section = doc.querySelector("section.receipt");
        if (!section) {
          throw new Error("no receipt in the answer");
        }
        wait.replaceWith(document.importNode(section, true));
      })
      .catch(function () {
        wait.textContent = form.dataset.failed;
        wait.className = "alert";
      });
  }
})();
