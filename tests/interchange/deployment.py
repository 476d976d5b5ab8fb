"""Drive one deployment of the two-deployment test from the outside: ``python -m tests.interchange.deployment CMD
[ARGS]`` with the deployment's environment (EOFFICE_VAR_DIR, DATABASE_URL, PKI_DIR, ...). Each command calls the
product's services the way the UI would and prints one JSON line. Test-only: never imported by the product.

- ``setup-sender``: the demo province (Sở Tư pháp tỉnh Bình Minh and its people), keys for the signers and the seal.
- ``setup-receiver``: a small ministry, Bộ Tư pháp (000.00.00.G22): clerk, minister, head and specialist of PBGDPL.
- ``add-peer NAME URL CODES PEMFILE``: configure the other deployment as a trusted peer.
- ``send N``: N công văn of the Sở Tư pháp, drafted, reviewed, signed, numbered, sealed and released to the ministry.
- ``handle DOCUMENT_ID``: the ministry's clerk registers the receipt, the minister instructs PBGDPL, its head
  assigns the specialist, the specialist finishes.
- ``recall DOCUMENT_PK``: the director of the Sở recalls a released document.
"""

from __future__ import annotations

import json
import os
import sys

RECEIVER_CODE = "000.00.00.G22"
RECEIVER_NAME = "Bộ Tư pháp"


def _keys(people, agencies) -> None:
    from eoffice.documents.keyring import subjects_for
    from signing.keyring import dev_pki

    dev_pki().ensure(subjects_for(people, agencies))


def setup_sender() -> dict:
    from eoffice.demo.province import load_demo
    from eoffice.orgs.models import Agency, Person

    load_demo()
    stp = Agency.objects.get(abbreviation="STP")
    people = Person.objects.filter(username__in=["giamdoc.stp", "vanthu.stp"]).select_related("agency", "position")
    _keys(people, [stp])
    return {"code": stp.code}


def setup_receiver() -> dict:
    from eoffice.orgs.models import Agency, AgencyKind, Person
    from tests.factories import make_person, make_unit

    ministry = Agency.objects.create(code=RECEIVER_CODE, name=RECEIVER_NAME, abbreviation="BTP",
                                     kind=AgencyKind.OTHER, place_name="Hà Nội")
    vp, pbgdpl = make_unit(ministry, "VP", "Văn phòng Bộ"), make_unit(ministry, "PBGDPL", "Vụ Phổ biến, giáo dục pháp luật")
    make_person(ministry, "clerk", unit=vp, username="vanthu.btp", full_name="Lê Thị Ngọc")
    make_person(ministry, "leader", username="botruong.btp", full_name="Nguyễn Hải Long")
    make_person(ministry, "unit_head", unit=pbgdpl, username="vutruong.btp", full_name="Phạm Thu Hà")
    make_person(ministry, "specialist", unit=pbgdpl, username="chuyenvien.btp", full_name="Đỗ Văn Minh")
    _keys(Person.objects.none(), [Agency.objects.get(code=RECEIVER_CODE)])
    return {"code": RECEIVER_CODE}


def add_peer(name: str, url: str, codes: str, pem_file: str) -> dict:
    from pathlib import Path

    from eoffice.interchange.models import Peer

    peer = Peer.objects.create(name=name, base_url=url, agency_codes=codes.replace(",", "\n"),
                               certificates_pem=Path(pem_file).read_text())
    return {"peer": peer.pk}


def send(count: str) -> dict:
    from eoffice.documents.models import DocumentType
    from eoffice.interchange.mapping import document_id_of
    from eoffice.orgs.models import Person
    from eoffice.outgoing import services
    from eoffice.outgoing.services import ExternalRecipient
    from tests.outgoing.conftest import draft_pdf

    def person(username: str) -> Person:
        return Person.objects.select_related("agency", "unit", "position").get(username=username)

    specialist, unit_head = person("chuyenvien.stp"), person("truongphong.stp")
    director, clerk = person("giamdoc.stp"), person("vanthu.stp")
    sent = []
    for n in range(int(count)):
        summary = f"V/v phối hợp phổ biến pháp luật về chuyển đổi số (đợt {n + 1})"
        document = services.create_draft(
            specialist, document_type=DocumentType.objects.get(code="cong-van"), summary=summary, signer=director,
            file=("du-thao.pdf", draft_pdf(director, summary=summary)),
            external_recipients=[ExternalRecipient(RECEIVER_CODE, RECEIVER_NAME)],
        )
        services.submit(document, specialist)
        services.review(document, unit_head, approve=True)
        services.sign(document, director)
        services.issue(document, clerk)
        document = services.release(document, clerk)
        sent.append({"document": document.pk, "delivery": document.deliveries.get().pk,
                     "document_id": document_id_of(document), "notation": document.notation})
    return {"sent": sent}


def handle(document_id: str) -> dict:
    from eoffice.incoming import services as incoming
    from eoffice.incoming.models import Receipt, WorkItem, WorkKind, WorkStatus
    from eoffice.orgs.models import Person, Unit

    def open_item(person, kind):
        return WorkItem.objects.get(person=person, kind=kind, status=WorkStatus.OPEN)

    clerk, minister = Person.objects.get(username="vanthu.btp"), Person.objects.get(username="botruong.btp")
    head, specialist = Person.objects.get(username="vutruong.btp"), Person.objects.get(username="chuyenvien.btp")
    receipt = Receipt.objects.get(source="edxml", source_ref=f"{document_id}|{RECEIVER_CODE}")
    document = incoming.register_incoming(clerk, receipt=receipt, present_to=minister)
    incoming.instruct(open_item(minister, WorkKind.INSTRUCT), minister, text="Giao Vụ PBGDPL chủ trì",
                      lead_unit=Unit.objects.get(agency=clerk.agency, abbreviation="PBGDPL"))
    incoming.assign_handlers(open_item(head, WorkKind.ASSIGN), head, main_handler=specialist)
    incoming.finish_handling(open_item(specialist, WorkKind.HANDLE), specialist, result="Đã phối hợp triển khai")
    document.refresh_from_db()
    return {"incoming": document.pk, "status": document.status}


def recall(document_pk: str) -> dict:
    from eoffice.orgs.models import Person
    from eoffice.outgoing import services
    from eoffice.outgoing.models import OutgoingDocument

    director = Person.objects.get(username="giamdoc.stp")
    document = services.recall(OutgoingDocument.objects.get(pk=int(document_pk)), director,
                               reason="Văn bản ban hành nhầm đối tượng")
    return {"status": document.status}


COMMANDS = {"setup-sender": setup_sender, "setup-receiver": setup_receiver, "add-peer": add_peer, "send": send,
            "handle": handle, "recall": recall}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eoffice.settings")
    import django

    django.setup()
    print(json.dumps(COMMANDS[argv[0]](*argv[1:]), ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1:])
