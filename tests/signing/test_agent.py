"""The reference signing agent, run as officials run it: ``python -m signing.agent`` in its own process, with a
SoftHSM2 token (own ``SOFTHSM2_CONF``) standing in for the USB token, called over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyhanko.sign.validation import validate_pdf_signature

from signing import twostep
from signing.agent.server import AgentConfig, AgentConfigError, check_loopback
from signing.dev.softhsm import SoftHSMToken, softhsm_available
from signing.images import signature_image
from tests.signing.test_pkcs11 import PIN, SPY_MODULE, make_person_token, nss_dir, pdfsig  # noqa: F401 - fixture
from tests.signing.test_twostep import BLOCK, assert_visible, only_signature

pytestmark = pytest.mark.skipif(
    not softhsm_available(), reason="needs Debian packages softhsm2 and opensc (installed by `make test`)"
)

REPO = Path(__file__).resolve().parents[2]
PAGE_ORIGIN = "http://127.0.0.1:8000"


@dataclass
class RunningAgent:
    process: subprocess.Popen
    host: str
    port: int

    def request(
        self, method: str, path: str, body: dict | None = None, *, origin: str | None = PAGE_ORIGIN,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], dict | None]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        all_headers = {"Origin": origin} if origin else {}
        all_headers.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        payload = json.loads(raw) if raw else None
        return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def start_agent(token: SoftHSMToken, *args: str, env: dict[str, str] | None = None) -> RunningAgent:
    """Start the agent on a free port and wait for its "listening on" line (its readiness signal)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "signing.agent", "serve", "--port", "0", *args],
        cwd=REPO, env=env or token.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
    if not match:
        process.kill()
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"agent did not start: {line!r} {err!r}")
    return RunningAgent(process, "127.0.0.1", int(match.group(1)))


def stop_agent(agent: RunningAgent) -> None:
    agent.process.terminate()
    agent.process.communicate(timeout=30)


@pytest.fixture
def token(tmp_path, dev_pki) -> SoftHSMToken:
    return make_person_token(tmp_path / "token", dev_pki)


@pytest.fixture
def agent(token) -> Iterator[RunningAgent]:
    running = start_agent(token, "--module", token.module_path)
    try:
        yield running
    finally:
        stop_agent(running)


def test_status_and_certificates_need_no_pin(agent, token):
    status, _, body = agent.request("GET", "/status")
    assert status == 200
    assert [t["label"] for t in body["tokens"]] == [token.label]

    status, headers, body = agent.request("GET", "/certificates")
    assert status == 200
    assert headers["access-control-allow-origin"] == PAGE_ORIGIN
    [cert] = body["certificates"]
    assert cert["common_name"] == "Nguyễn Văn An"
    assert cert["object_id"] == "01"


def test_two_step_round_trip_through_the_agent_gives_a_valid_visible_signature(
    agent, dev_pki, sample_pdf, pki_validation_context, nss_dir, tmp_path  # noqa: F811 - fixture
):
    # The page asks the agent for the official's certificate...
    _, _, listing = agent.request("GET", "/certificates")
    [cert] = listing["certificates"]
    chain = [base64.b64decode(cert["certificate"]), *dev_pki.chain]
    # ...the server prepares the document for that certificate...
    prepared = twostep.prepare(
        sample_pdf, chain=chain, name="Nguyễn Văn An", position="Giám đốc",
        signature_image=signature_image("Nguyễn Văn An"), block=BLOCK,
    )
    assert prepared.certificate_fingerprint == cert["id"]
    # ...the page sends the digest and the PIN to the agent, which signs on the token...
    status, _, signed_reply = agent.request("POST", "/sign", {**prepared.agent_request(), "pin": PIN})
    assert status == 200, signed_reply
    # ...and the server embeds and checks the value.
    signed = twostep.complete(
        prepared.state, base64.b64decode(signed_reply["signature"]), validation_context=pki_validation_context()
    )

    sig = only_signature(signed)
    assert validate_pdf_signature(sig, pki_validation_context()).bottom_line
    assert_visible(sig)
    report = pdfsig(signed, nss_dir, tmp_path)
    assert "Signature is Valid." in report and "Certificate is Trusted." in report


def test_agent_signs_data_as_well_as_digests(agent, dev_pki):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    _, _, listing = agent.request("GET", "/certificates")
    data = "Công văn số 45/STP-VP".encode()
    status, _, reply = agent.request(
        "POST", "/sign", {"certificate_id": listing["certificates"][0]["id"], "data": base64.b64encode(data).decode(),
                          "algorithm": "sha256", "pin": PIN},
    )
    assert status == 200
    dev_pki.certificate("giamdoc.stp").public_key().verify(
        base64.b64decode(reply["signature"]), data, padding.PKCS1v15(), hashes.SHA256()
    )


def test_wrong_pin_is_refused_in_vietnamese_after_exactly_one_c_login(token, tmp_path):
    if not Path(SPY_MODULE).exists():
        pytest.skip("opensc's pkcs11-spy.so is missing (package opensc)")
    spy_log = tmp_path / "spy.log"
    env = {**token.env, "PKCS11SPY": token.module_path, "PKCS11SPY_OUTPUT": str(spy_log)}
    running = start_agent(token, "--module", SPY_MODULE, env=env)
    try:
        _, _, listing = running.request("GET", "/certificates")
        request = {"certificate_id": listing["certificates"][0]["id"], "digest": base64.b64encode(bytes(32)).decode(),
                   "algorithm": "sha256", "pin": "000000"}
        status, headers, body = running.request("POST", "/sign", request)
        log_text = spy_log.read_text(errors="replace")
    finally:
        stop_agent(running)

    assert status == 401
    assert body["error"] == "pin_incorrect"
    assert body["message"].startswith("Mã PIN không đúng")
    assert headers["access-control-allow-origin"] == PAGE_ORIGIN  # the page can read the message
    assert len(re.findall(r"^\d+: C_Login$", log_text, flags=re.MULTILINE)) == 1
    assert "CKR_PIN_INCORRECT" in log_text


def test_each_signature_needs_the_pin_again(agent):
    """After a good signature the token is logged out: a wrong PIN on the next request is refused, not waved through."""
    _, _, listing = agent.request("GET", "/certificates")
    request = {"certificate_id": listing["certificates"][0]["id"], "digest": base64.b64encode(bytes(32)).decode()}

    first, _, _ = agent.request("POST", "/sign", {**request, "pin": "111111"})
    good, _, _ = agent.request("POST", "/sign", {**request, "pin": PIN})
    again, _, body = agent.request("POST", "/sign", {**request, "pin": "111111"})
    assert (first, good, again) == (401, 200, 401)
    assert body["error"] == "pin_incorrect"


def test_cors_refuses_an_unknown_origin(agent):
    status, headers, body = agent.request("GET", "/certificates", origin="https://trang-la.example")
    assert status == 403
    assert body["error"] == "origin_not_allowed"
    assert "không được phép" in body["message"]
    assert "access-control-allow-origin" not in headers

    status, headers, _ = agent.request(
        "OPTIONS", "/sign", origin="https://trang-la.example", headers={"Access-Control-Request-Method": "POST"}
    )
    assert status == 403 and "access-control-allow-origin" not in headers

    status, headers, _ = agent.request(
        "OPTIONS", "/sign", origin="http://localhost:8000", headers={"Access-Control-Request-Method": "POST"}
    )
    assert status == 204
    assert headers["access-control-allow-origin"] == "http://localhost:8000"
    assert "POST" in headers["access-control-allow-methods"]


def test_configured_origin_replaces_the_defaults(token):
    running = start_agent(token, "--module", token.module_path, "--allow-origin", "https://eoffice.binhminh.gov.vn")
    try:
        allowed, _, _ = running.request("GET", "/status", origin="https://eoffice.binhminh.gov.vn")
        default, _, _ = running.request("GET", "/status", origin=PAGE_ORIGIN)
    finally:
        stop_agent(running)
    assert (allowed, default) == (200, 403)


def test_foreign_host_header_is_refused(agent):
    """A DNS-rebinding page reaches 127.0.0.1 under its own host name: the agent must not answer it."""
    status, _, body = agent.request("GET", "/certificates", origin=None, headers={"Host": "attacker.example:8766"})
    assert status == 403 and body["error"] == "host_not_allowed"


def test_errors_are_json_in_vietnamese(agent):
    status, _, body = agent.request("POST", "/sign", {"certificate_id": "ab" * 32, "digest": "!!", "pin": PIN})
    assert status == 400 and "base64" in body["message"]
    status, _, body = agent.request(
        "POST", "/sign", {"certificate_id": "ab" * 32, "digest": base64.b64encode(bytes(32)).decode(), "pin": PIN}
    )
    assert status == 404 and body["message"].startswith("Không tìm thấy chứng thư số")
    status, _, body = agent.request("GET", "/khong-co")
    assert status == 404 and body["error"] == "not_found"


def test_agent_refuses_to_listen_beyond_loopback(token):
    for host in ("0.0.0.0", "::", "192.168.1.10", "eoffice.example"):
        with pytest.raises(AgentConfigError, match="loopback"):
            AgentConfig(module_path=token.module_path, host=host)
    assert check_loopback("localhost") == "127.0.0.1"
    assert check_loopback("::1") == "::1"

    result = subprocess.run(
        [sys.executable, "-m", "signing.agent", "serve", "--module", token.module_path, "--host", "0.0.0.0",
         "--port", "0"],
        cwd=REPO, env=token.env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "chỉ được lắng nghe trên địa chỉ loopback" in result.stderr
    assert "listening" not in result.stdout


def test_cli_lists_certificates_and_signs_a_digest(token, dev_pki, tmp_path):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    listing = subprocess.run(
        [sys.executable, "-m", "signing.agent", "list", "--module", token.module_path, "--json"],
        cwd=REPO, env=token.env, capture_output=True, text=True, timeout=60, check=True,
    )
    [cert] = json.loads(listing.stdout)["certificates"]

    digest = bytes.fromhex("5e" * 32)
    (tmp_path / "digest.bin").write_bytes(digest)
    subprocess.run(
        [sys.executable, "-m", "signing.agent", "sign", "--module", token.module_path, "--pin-env", "TOKEN_PIN",
         "--certificate", cert["id"], "--in", str(tmp_path / "digest.bin"), "--out", str(tmp_path / "sig.bin")],
        cwd=REPO, env={**token.env, "TOKEN_PIN": PIN}, capture_output=True, text=True, timeout=60, check=True,
    )
    dev_pki.certificate("giamdoc.stp").public_key().verify(
        (tmp_path / "sig.bin").read_bytes(), digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )


JS_CLIENT = REPO / "signing" / "agent" / "static" / "eoffice-agent.js"
JS_SCRIPT = """
const { EofficeAgent, EofficeAgentError } = require(process.argv[1]);
(async () => {
  const agent = new EofficeAgent({ baseUrl: process.argv[2] });
  const certs = await agent.certificates();
  const request = { certificate_id: certs[0].id, digest: Buffer.alloc(32, 7).toString("base64"), algorithm: "sha256" };
  let wrong = null;
  try { await agent.sign({ ...request, pin: "000000" }); } catch (e) { wrong = { code: e.code, message: e.message, isError: e instanceof EofficeAgentError }; }
  const signature = await agent.sign({ ...request, pin: process.argv[3] });
  let unreachable = null;
  try { await new EofficeAgent({ baseUrl: "http://127.0.0.1:9" }).status(); } catch (e) { unreachable = e.code; }
  console.log(JSON.stringify({ names: certs.map((c) => c.common_name), wrong, signature, unreachable }));
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="the JS client test needs Node.js 18+ (fetch)")
def test_js_client_lists_signs_and_reports_errors(agent, dev_pki):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    result = subprocess.run(
        ["node", "-e", JS_SCRIPT, str(JS_CLIENT), f"http://127.0.0.1:{agent.port}", PIN],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["names"] == ["Nguyễn Văn An"]
    assert out["wrong"]["code"] == "pin_incorrect" and out["wrong"]["isError"]
    assert out["wrong"]["message"].startswith("Mã PIN không đúng")
    assert out["unreachable"] == "agent_unreachable"
    dev_pki.certificate("giamdoc.stp").public_key().verify(
        base64.b64decode(out["signature"]), bytes([7] * 32), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256())
    )
