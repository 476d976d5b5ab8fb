"""``manage.py edxml_import FILE --peer NAME``: import one edXML package (or status message) received on disk,
with the same checks as the HTTP endpoint; the signature must belong to the named peer."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from eoffice.interchange import services
from eoffice.interchange.models import Peer


class Command(BaseCommand):
    help = "Nhập một gói tin edXML (.edxml) nhận qua tệp, kiểm tra như điểm kết nối liên thông."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--peer", required=True, help="Tên hệ thống liên thông đã gửi gói tin")
        parser.add_argument("--answer", help="Ghi thông điệp trạng thái trả lời ra tệp này")

    def handle(self, *args, file: str, peer: str, answer: str | None = None, **options) -> None:
        found = Peer.objects.filter(name=peer, enabled=True).first()
        if found is None:
            raise CommandError(f"Không có hệ thống liên thông «{peer}» đang kết nối.")
        path = Path(file)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise CommandError(f"Không đọc được tệp {file}: {exc}") from exc
        limit = settings.EDXML_MAX_MESSAGE_BYTES
        if size > limit:
            raise CommandError(f"Gói tin vượt quá dung lượng cho phép ({size} byte, tối đa {limit} byte).")
        data = path.read_bytes()
        if services.is_status_document(data):
            result = services.receive_status(data, expected_peer=found)
        else:
            result = services.receive_message(data, expected_peer=found)
        if answer:
            Path(answer).write_bytes(result.body)
        if result.http_status >= 400:
            raise CommandError(f"Từ chối gói tin: {result.reason}")
        self.stdout.write(f"{result.status_code or 'ok'} {result.reason}".strip())
