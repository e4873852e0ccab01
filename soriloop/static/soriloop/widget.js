/* Soriloop feedback widget. Embed with:
 * <script src="https://YOUR-SORILOOP/static/soriloop/widget.js" data-soriloop-key="KEY" async></script>
 * Optional: data-lang="ko|en" (default: the page's or browser's language), data-position="left". */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__soriloopWidget) return;
  window.__soriloopWidget = true;
  var key = script.getAttribute("data-soriloop-key");
  var base = new URL(script.src).origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || navigator.language || "ko").slice(0, 2);
  if (lang !== "en") lang = "ko";
  var T = {
    ko: { button: "의견 보내기", title: "서비스는 어떠셨나요?", text: "자세히 알려 주세요 (선택)", email: "답변 받을 이메일 (선택)",
          send: "보내기", close: "닫기", error: "보내지 못했어요. 잠시 후 다시 시도해 주세요.", empty: "별점을 고르거나 내용을 적어 주세요." },
    en: { button: "Feedback", title: "How was your experience?", text: "Tell us more (optional)", email: "E-mail for a reply (optional)",
          send: "Send", close: "Close", error: "We could not send it. Please try again shortly.", empty: "Please choose a rating or write something." }
  }[lang];
  var host = document.createElement("div");
  host.setAttribute("data-soriloop", "widget");
  var root = host.attachShadow({ mode: "open" });
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  root.innerHTML =
    "<style>" +
    ":host{all:initial;font-family:system-ui,-apple-system,'Noto Sans KR','Apple SD Gothic Neo','Malgun Gothic',sans-serif}" +
    ".b{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483000;background:#3b5bdb;color:#fff;border:0;border-radius:99px;padding:12px 18px;font:600 15px inherit;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.2)}" +
    ".p{position:fixed;bottom:76px;" + side + ":20px;z-index:2147483000;width:320px;max-width:calc(100vw - 40px);background:#fff;color:#1b1f2a;border-radius:12px;box-shadow:0 10px 30px rgba(0,0,0,.25);padding:16px;display:none;font-size:14px}" +
    ".p.o{display:block}h2{font-size:16px;margin:0 0 10px}textarea,input[type=email]{box-sizing:border-box;width:100%;font:inherit;border:1px solid #cfd4e0;border-radius:8px;padding:8px;margin:6px 0}" +
    ".s{display:flex;gap:4px}.s button{background:none;border:0;font-size:26px;color:#ced4da;cursor:pointer;padding:0}.s button.on{color:#fab005}" +
    ".send{background:#3b5bdb;color:#fff;border:0;border-radius:8px;padding:9px 14px;font:600 14px inherit;cursor:pointer}.x{float:right;background:none;border:0;font-size:18px;cursor:pointer;color:#5d6577}" +
    ".m{margin-top:8px;color:#c92a2a}.t{font-size:15px;line-height:1.5}.hp{position:absolute;left:-9999px}</style>" +
    "<button class='b' part='button'></button><div class='p' role='dialog' aria-modal='false'>" +
    "<button class='x' aria-label=''>×</button><form><h2></h2><div class='s' role='radiogroup'></div>" +
    "<textarea rows='4' maxlength='20000'></textarea><input type='email'><input class='hp' name='website' tabindex='-1' autocomplete='off'>" +
    "<button class='send' type='submit'></button><div class='m' role='alert'></div></form></div>";
  var $ = function (s) { return root.querySelector(s); };
  var panel = $(".p"), form = $("form"), msg = $(".m"), rating = null;
  $(".b").textContent = T.button; $("h2").textContent = T.title; $(".send").textContent = T.send;
  $(".x").setAttribute("aria-label", T.close); $("textarea").placeholder = T.text; $("input[type=email]").placeholder = T.email;
  for (var n = 1; n <= 5; n++) {
    var star = document.createElement("button");
    star.type = "button"; star.textContent = "★"; star.value = n; star.setAttribute("aria-label", n + "/5");
    star.setAttribute("role", "radio");
    star.addEventListener("click", function (e) {
      rating = Number(e.currentTarget.value);
      root.querySelectorAll(".s button").forEach(function (b) { b.classList.toggle("on", Number(b.value) <= rating); b.setAttribute("aria-checked", String(Number(b.value) === rating)); });
    });
    $(".s").appendChild(star);
  }
  $(".b").addEventListener("click", function () { panel.classList.toggle("o"); });
  $(".x").addEventListener("click", function () { panel.classList.remove("o"); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("textarea").value.trim();
    if (!text && !rating) { msg.textContent = T.empty; return; }
    msg.textContent = "";
    $(".send").disabled = true;
    fetch(base + "/widget/" + encodeURIComponent(key) + "/feedback", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ rating: rating, text: text, email: $("input[type=email]").value.trim(), lang: lang,
                             page: location.href, website: $(".hp").value })
    }).then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (res) {
        if (!res.ok) throw new Error((res.body.error && res.body.error.message) || "error");
        form.innerHTML = "<p class='t'></p>"; form.querySelector(".t").textContent = res.body.message;
      })
      .catch(function () { msg.textContent = T.error; $(".send").disabled = false; });
  });
  document.body.appendChild(host);
})();
