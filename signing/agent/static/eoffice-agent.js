/*
 * eoffice-agent.js: the page-side client of the eoffice signing agent (python -m signing.agent).
 *
 * The agent runs on the official's own computer at http://127.0.0.1:8766 and signs with the USB token.
 * Two-step signing on a page:
 *
 *   const agent = new EofficeAgent();                       // or new EofficeAgent({ baseUrl: "http://127.0.0.1:8766" })
 *   const certs = await agent.certificates();               // [{id, common_name, not_after, certificate (base64 DER)...}]
 *   // POST the chosen certificate to the server; it answers with prepared.agent_request():
 *   //   {certificate_id, digest (base64), algorithm}
 *   const signature = await agent.sign({ ...request, pin }); // base64 signature value
 *   // POST the signature back to the server, which embeds and checks it.
 *
 * Every failure throws EofficeAgentError whose `message` is Vietnamese, ready to show, and whose `code` is
 * machine-readable ("agent_unreachable", "pin_incorrect", "pin_locked", "token_not_found", "origin_not_allowed"...).
 * No dependencies; works as a classic <script> (window.EofficeAgent) or as an ES/CommonJS module.
 */
(function (root, factory) {
  "use strict";
  const api = factory();
  if (typeof module === "object" && module.exports) {
    module.exports = api;
  } else {
    root.EofficeAgent = api.EofficeAgent;
    root.EofficeAgentError = api.EofficeAgentError;
  }
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  const DEFAULT_BASE_URL = "http://127.0.0.1:8766";

  class EofficeAgentError extends Error {
    constructor(code, message, status) {
      super(message);
      this.name = "EofficeAgentError";
      this.code = code;
      this.status = status || 0;
    }
  }

  class EofficeAgent {
    constructor(options) {
      const opts = options || {};
      this.baseUrl = (opts.baseUrl || DEFAULT_BASE_URL).replace(/\/+$/, "");
      this.timeoutMs = opts.timeoutMs || 120000; // the official may take a while to find the token and type the PIN
    }

    async _call(method, path, body) {
      const controller = typeof AbortController !== "undefined" ? new AbortController() : null;
      const timer = controller ? setTimeout(() => controller.abort(), this.timeoutMs) : null;
      let response;
      try {
        response = await fetch(this.baseUrl + path, {
          method: method,
          mode: "cors",
          credentials: "omit",
          cache: "no-store",
          headers: body ? { "Content-Type": "application/json" } : {},
          body: body ? JSON.stringify(body) : undefined,
          signal: controller ? controller.signal : undefined,
        });
      } catch (err) {
        throw new EofficeAgentError(
          "agent_unreachable",
          "Không kết nối được công cụ ký số trên máy tính này. Hãy kiểm tra công cụ ký số eoffice đã được cài đặt và đang chạy.",
        );
      } finally {
        if (timer) clearTimeout(timer);
      }
      let payload = null;
      try {
        payload = await response.json();
      } catch (err) {
        payload = null;
      }
      if (!response.ok) {
        const code = (payload && payload.error) || "agent_error";
        const message = (payload && payload.message) || "Công cụ ký số trả về lỗi (mã " + response.status + ").";
        throw new EofficeAgentError(code, message, response.status);
      }
      return payload;
    }

    /** Whether the agent runs, and which tokens are plugged in (no PIN needed). */
    status() {
      return this._call("GET", "/status");
    }

    /** The official's certificates on the plugged-in tokens (no PIN needed). */
    async certificates() {
      const payload = await this._call("GET", "/certificates");
      return payload.certificates;
    }

    /**
     * Sign with the token. `request` is {certificate_id, digest | data (base64), algorithm, pin}.
     * Resolves to the base64 signature value. The PIN is sent to the agent on 127.0.0.1 only and tried once.
     */
    async sign(request) {
      if (!request || !request.pin) {
        throw new EofficeAgentError("pin_required", "Chưa nhập mã PIN của token.");
      }
      const payload = await this._call("POST", "/sign", {
        certificate_id: request.certificate_id,
        digest: request.digest,
        data: request.data,
        algorithm: request.algorithm || "sha256",
        pin: request.pin,
      });
      return payload.signature;
    }
  }

  return { EofficeAgent: EofficeAgent, EofficeAgentError: EofficeAgentError };
});
