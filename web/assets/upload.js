// custodia portal: the upload page's drop zone. Files dropped on the zone,
// or chosen with its file input, go one resumable upload each (tus, through
// tus-js-client in tus.min.js) to /uploads/, with a progress bar per file; a
// refused file shows the server's message beside it while the others go
// on. When a batch ends, the page asks for its receipt (POST /receipt with
// the ids of the uploads' audit rows) and shows it. Without this script the
// same form posts the files in one request.
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

  // The server's refusal, as tusd sends it: "ERR_CODE: sentence".
  function messageOf(err) {
    var res = err && err.originalResponse;
    var body = res ? res.getBody() : "";
    var m = /^ERR_[A-Z_]+: (.+)/.exec((body || "").trim());
    return m ? m[1] : form.dataset.failed;
  }

  // Retry only what a retry can mend: a dropped connection, a locked
  // upload, a proxy's error; never a refusal of the file.
  function shouldRetry(err) {
    var res = err && err.originalResponse;
    if (!res) {
      return true;
    }
    var status = res.getStatus();
    if (status === 423) {
      return true;
    }
    return status >= 500 && !/^ERR_/.test((res.getBody() || "").trim());
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
      failed: function (text) {
        li.classList.add("refused");
        msg.setAttribute("role", "alert");
        msg.textContent = text;
      },
    };
  }

  // one uploads a file; it resolves to the id of its audit row, or 0 when
  // it was refused or failed.
  function one(file) {
    var r = row(file);
    return new Promise(function (resolve) {
      var up = new tus.Upload(file, {
        endpoint: form.dataset.endpoint,
        retryDelays: [0, 1000, 3000, 5000, 10000, 20000],
        chunkSize: 16 * 1024 * 1024,
        headers: { "X-CSRF-Token": token },
        metadata: { filename: file.name, folder: form.dataset.folder },
        removeFingerprintOnSuccess: true,
        // Resume only an upload of the same file into the same folder.
        fingerprint: function (f) {
          return Promise.resolve(["custodia", form.dataset.folder, f.name, f.type, f.size, f.lastModified].join("\n"));
        },
        onShouldRetry: shouldRetry,
        onProgress: function (sent, total) {
          r.progress(total > 0 ? Math.floor((sent * 100) / total) : 100);
        },
        onSuccess: function (payload) {
          var res = payload && payload.lastResponse;
          var id = res ? parseInt(res.getHeader("Custodia-Audit-Id"), 10) : NaN;
          r.done();
          resolve(id > 0 ? id : 0);
        },
        onError: function (err) {
          r.failed(messageOf(err));
          resolve(0);
        },
      });
      // A file sent before and cut off goes on where it stopped.
      up.findPreviousUploads().then(function (previous) {
        if (previous.length) {
          up.resumeFromPreviousUpload(previous[0]);
        }
        up.start();
      });
    });
  }

  // send uploads a batch, then shows its receipt.
  function send(files) {
    batchBox.hidden = false;
    var all = [];
    for (var i = 0; i < files.length; i++) {
      all.push(one(files[i]));
    }
    Promise.all(all).then(function (ids) {
      ids = ids.filter(function (id) {
        return id > 0;
      });
      if (ids.length) {
        receipt(ids);
      }
    });
  }

  // receipt asks for the receipt of the batch's uploads and shows it
  // above the earlier ones.
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
