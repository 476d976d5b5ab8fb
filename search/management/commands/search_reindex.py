"""``manage.py search_reindex --source package.module:function``: (re)build the search index.

The source is pluggable because the document models (incoming, outgoing) feed the index through
their own functions: ``function(after_id) -> Iterable[SearchDocument]`` in a stable order. An
interrupted run resumes from its checkpoint when started again with the same arguments.

By default it rebuilds: a new index is filled beside the live one (searches keep working on the old one) and
switched to at the end, so entries of rows deleted meanwhile are gone, and rows that must not be in the index
(secret) are removed. ``--in-place`` updates the live index instead (faster to show progress, but an entry whose
row was deleted outright stays until the next rebuild).
"""
from __future__ import annotations

import importlib
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

import search


class Command(BaseCommand):
    help = "Lập lại chỉ mục tra cứu từ một nguồn văn bản; chạy lại sau khi bị gián đoạn sẽ tiếp tục từ điểm đã lưu."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", default="search.indexing:reindex_source",
                            help="Hàm nguồn dạng gói.module:hàm, nhận after_id và trả về các SearchDocument "
                                 "(mặc định: mọi văn bản đến, văn bản đi của hệ thống).")
        parser.add_argument("--checkpoint", default=None, help="Tệp lưu điểm tiếp tục (mặc định trong VAR_DIR).")
        parser.add_argument("--batch-size", type=int, default=1000)
        parser.add_argument("--rebuild", action="store_true",
                            help="Dựng chỉ mục mới rồi chuyển sang, không gián đoạn tra cứu (mặc định).")
        parser.add_argument("--in-place", action="store_true",
                            help="Cập nhật ngay chỉ mục đang dùng thay vì dựng mới; mục của văn bản đã bị xóa "
                                 "khỏi cơ sở dữ liệu sẽ còn lại cho đến lần dựng lại sau.")

    def handle(self, *args, **options) -> None:
        module_name, _, function_name = options["source"].partition(":")
        try:
            source = getattr(importlib.import_module(module_name), function_name)
        except (ImportError, AttributeError, ValueError) as error:
            raise CommandError(f"Không tìm thấy hàm nguồn {options['source']!r}: {error}") from error
        checkpoint = Path(options["checkpoint"] or Path(settings.VAR_DIR) / "search-reindex.checkpoint.json")

        total_fn = getattr(source, "total", None)
        total = total_fn() if callable(total_fn) else None

        def progress(done: int, last_id: str | None) -> None:
            if total:
                share = min(1.0, done / total)
                bar = "#" * int(share * 30)
                self.stdout.write(f"[{bar:<30}] {share:4.0%} {done}/{total} văn bản (đến {last_id})")
            else:
                self.stdout.write(f"Đã lập chỉ mục {done} văn bản (đến {last_id}).")

        if options["in_place"] and options["rebuild"]:
            raise CommandError("Chỉ chọn một trong hai: --rebuild hoặc --in-place.")
        count = search.reindex(source, checkpoint, progress, batch_size=options["batch_size"],
                               rebuild=not options["in_place"])
        self.stdout.write(self.style.SUCCESS(
            f"Hoàn tất: {count} văn bản được xử lý (lập chỉ mục hoặc gỡ khỏi chỉ mục) trong lần chạy này."))
