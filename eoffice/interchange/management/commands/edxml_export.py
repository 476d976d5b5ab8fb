"""``manage.py edxml_export <delivery-id|DocumentId> OUTDIR``: write the signed edXML package of an external
delivery (or of every external delivery of the document with that DocumentId) for exchange on disk."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from eoffice.interchange import services
from eoffice.interchange.edxml import EdxmlRefused, split_document_id


class Command(BaseCommand):
    help = "Xuất gói tin edXML (.edxml) của văn bản đi gửi cơ quan ngoài hệ thống ra thư mục."

    def add_arguments(self, parser) -> None:
        parser.add_argument("target", help="Mã nơi nhận (delivery id) hoặc DocumentId của văn bản")
        parser.add_argument("outdir", help="Thư mục ghi gói tin")

    def handle(self, *args, target: str, outdir: str, **options) -> None:
        from eoffice.outgoing.models import Delivery, DeliveryKind

        deliveries = Delivery.objects.filter(kind=DeliveryKind.EXTERNAL).select_related("document__agency")
        if target.isdigit():
            deliveries = deliveries.filter(pk=int(target))
        else:
            parts = split_document_id(target)
            if parts is None:
                raise CommandError(f"«{target}» không phải mã nơi nhận hay DocumentId hợp lệ.")
            agency_code, _date, notation = parts
            deliveries = deliveries.filter(document__agency__code=agency_code, document__notation=notation)
        deliveries = list(deliveries)
        if not deliveries:
            raise CommandError(f"Không tìm thấy nơi nhận ngoài hệ thống cho «{target}».")
        for delivery in deliveries:
            try:
                path = services.export_package(delivery, Path(outdir))
            except EdxmlRefused as refused:
                raise CommandError(f"{delivery.recipient_name}: {refused.reason_vi}") from refused
            self.stdout.write(str(path))
