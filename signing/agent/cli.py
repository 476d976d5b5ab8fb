"""Command line of the signing agent: ``serve`` (the default), ``list`` and ``sign``.

``list`` and ``sign`` let IT staff check a token without a browser, and let scripts sign a digest
(``sign --in digest.bin --out signature.bin``). The PIN is read from an environment variable (``--pin-env``),
never from the command line, where other users of the computer could read it in the process list.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from signing import pkcs11 as p11
from signing.agent.server import DEFAULT_ORIGINS, DEFAULT_PORT, AgentConfig, AgentConfigError, AgentServer

MODULE_ENV = "EOFFICE_PKCS11_MODULE"

# Where common token middleware installs its PKCS#11 library; the first that exists is the default.
KNOWN_MODULES = (
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib/softhsm/libsofthsm2.so",
    r"C:\Windows\System32\opensc-pkcs11.dll",
)


def _default_module() -> str | None:
    from_env = os.environ.get(MODULE_ENV)
    if from_env:
        return from_env
    return next((path for path in KNOWN_MODULES if Path(path).exists()), None)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m signing.agent",
        description="Công cụ ký số eoffice: ký bằng token PKCS#11 trên máy tính của người ký.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--module",
        default=_default_module(),
        help=f"thư viện PKCS#11 của token (mặc định: biến môi trường {MODULE_ENV})",
    )
    common.add_argument("--token-label", default=None, help="chỉ dùng token có nhãn này")
    sub = parser.add_subparsers(dest="command")

    serve = sub.add_parser("serve", parents=[common], help="chạy dịch vụ ký số cho trình duyệt (mặc định)")
    serve.add_argument("--host", default="127.0.0.1", help="địa chỉ loopback để lắng nghe (mặc định 127.0.0.1)")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"cổng (mặc định {DEFAULT_PORT}; 0 = tự chọn)")
    serve.add_argument(
        "--allow-origin",
        action="append",
        dest="origins",
        help="địa chỉ trang eoffice được phép gọi (có thể lặp lại; mặc định " + ", ".join(DEFAULT_ORIGINS) + ")",
    )

    lister = sub.add_parser("list", parents=[common], help="liệt kê token và chứng thư số")
    lister.add_argument("--json", action="store_true", help="in kết quả dạng JSON")

    signer = sub.add_parser("sign", parents=[common], help="ký một giá trị băm (hoặc dữ liệu) bằng token")
    signer.add_argument("--pin-env", required=True, help="tên biến môi trường chứa mã PIN")
    signer.add_argument("--in", dest="input", required=True, help="tệp giá trị băm (nhị phân), hoặc dữ liệu với --data")
    signer.add_argument("--out", dest="output", required=True, help="tệp ghi giá trị chữ ký (nhị phân)")
    signer.add_argument("--data", action="store_true", help="tệp --in là dữ liệu cần ký (sẽ được băm), không phải giá trị băm")
    signer.add_argument("--algorithm", default="sha256", choices=sorted(p11.DIGEST_ALGORITHMS), help="thuật toán băm")
    which = signer.add_mutually_exclusive_group()
    which.add_argument("--certificate", help="mã chứng thư số (SHA-256, như lệnh list in ra)")
    which.add_argument("--key-label", help="nhãn của khóa bí mật trên token")
    which.add_argument("--id", dest="object_id", help="mã (CKA_ID, hex) của khóa bí mật trên token")
    return parser


def _fail(message: str, code: int = 1) -> int:
    print(f"Lỗi: {message}", file=sys.stderr)
    return code


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    try:
        config = AgentConfig(
            module_path=args.module,
            host=args.host,
            port=args.port,
            allowed_origins=args.origins or DEFAULT_ORIGINS,
            token_label=args.token_label,
        )
        server = AgentServer(config)
    except AgentConfigError as error:
        return _fail(str(error), 2)
    except OSError as error:
        return _fail(f"Không mở được cổng {args.port} trên {args.host}: {error.strerror or error}", 2)
    # The first line is the contract with launchers and tests: they wait for it, then read the URL.
    print(f"eoffice signing agent listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _list(args: argparse.Namespace) -> int:
    tokens = p11.list_tokens(args.module)
    certs = p11.list_certificates(args.module, token_label=args.token_label, include_ca=True)
    if args.json:
        print(json.dumps({"tokens": [t.as_dict() for t in tokens], "certificates": [c.as_dict() for c in certs]},
                         ensure_ascii=False, indent=2))
        return 0
    if not tokens:
        print("Không có token nào đang cắm vào máy tính.")
    for token in tokens:
        state = " (ĐÃ KHÓA mã PIN)" if token.pin_locked else ""
        print(f"Token “{token.label}” — {token.manufacturer} {token.model}, số sê-ri {token.serial}{state}")
        for cert in certs:
            if cert.token_serial == token.serial:
                kind = "CA" if cert.is_ca else "người dùng"
                info = cert.as_dict()
                print(f"  [{kind}] {info['subject']}")
                print(f"      mã: {cert.fingerprint}  CKA_ID: {cert.object_id.hex()}  hết hạn: {info['not_after']}")
    return 0


def _sign(args: argparse.Namespace) -> int:
    pin = os.environ.get(args.pin_env)
    if not pin:
        return _fail(f"Biến môi trường {args.pin_env} không chứa mã PIN.")
    content = Path(args.input).read_bytes()
    object_id = bytes.fromhex(args.object_id) if args.object_id else None
    token_serial = None
    if args.certificate:
        cert = p11.find_certificate(args.module, args.certificate)
        object_id, token_serial = cert.object_id, cert.token_serial
    elif object_id is None and args.key_label is None:
        return _fail("Hãy chỉ rõ khóa cần dùng: --certificate, --key-label hoặc --id.")
    signature = p11.sign_with_token(
        args.module,
        pin,
        object_id=object_id,
        key_label=args.key_label,
        token_label=args.token_label,
        token_serial=token_serial,
        data=content if args.data else None,
        digest=None if args.data else content,
        digest_algorithm=args.algorithm,
    )
    Path(args.output).write_bytes(signature)
    print(f"Đã ký; chữ ký ({len(signature)} byte) được ghi vào {args.output}.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the agent's command line; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in {"serve", "list", "sign"} and argv[0] not in {"-h", "--help"}):
        argv = ["serve", *argv]  # no command: run the service, as the installed shortcut does
    args = _parser().parse_args(argv)
    command = args.command
    if not args.module:
        return _fail(f"Chưa chỉ ra thư viện PKCS#11 của token: dùng --module hoặc biến môi trường {MODULE_ENV}.", 2)
    try:
        if command == "serve":
            return _serve(args)
        if command == "list":
            return _list(args)
        return _sign(args)
    except p11.TokenError as error:
        return _fail(error.message)
    except OSError as error:
        return _fail(f"Không đọc/ghi được tệp: {error}")
