"""Registering a scanned paper original: its sao y mark lands on free paper, never over the original's heading."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from pyhanko.pdf_utils.reader import PdfFileReader

from eoffice.incoming import services
from tests.signing.test_copy_mark_place import ink_under, scan_with_heading_at_the_top

from .test_registration import metadata


def test_sao_y_of_a_scan_whose_heading_starts_at_the_top_is_stamped_on_white_paper(office, dev_pki,
                                                                                    dev_pki_settings):
    from eoffice.documents.keyring import ensure_dev_keys
    from signing import pades
    from signing.validation import validate_pdf

    dev_pki_settings.SIGNING_DEV_SERVICES_PORT = urlsplit(dev_pki.services.url).port
    ensure_dev_keys()
    scan, image = scan_with_heading_at_the_top()
    doc = services.register_incoming(office.clerk, files=[("cv.pdf", scan)], channel="paper", scanned_paper=True,
                                     metadata=metadata(number_notation="1/UBND-VP"))
    copy = next(f for f in doc.files.select_related("stored_file") if f.kind == "copy").stored_file.read()
    reader = PdfFileReader(io.BytesIO(copy), strict=False)
    field = next(f.get_object() for f in reader.root["/AcroForm"]["/Fields"]
                 if str(f.get_object()["/T"]) == pades.COPY_FIELD)
    assert field.raw_get("/P").idnum == reader.find_page_for_modification(0)[0].idnum
    assert ink_under(image, [float(v) for v in field["/Rect"]], 841.89) >= 200
    report = validate_pdf(copy, allow_fetching=False)
    assert len(report.signatures) == 1
