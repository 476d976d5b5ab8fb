"""The fixed set of roles, and a default list of position titles an administrator can change."""

from django.db import migrations

ROLES = [
    ("clerk", "Văn thư"),
    ("leader", "Lãnh đạo cơ quan"),
    ("deputy_leader", "Phó lãnh đạo cơ quan"),
    ("unit_head", "Lãnh đạo đơn vị"),
    ("specialist", "Chuyên viên"),
    ("archivist", "Lưu trữ"),
    ("admin", "Quản trị"),
]

POSITIONS = [
    ("Chủ tịch", 10),
    ("Phó Chủ tịch", 20),
    ("Giám đốc", 10),
    ("Phó Giám đốc", 20),
    ("Chánh Văn phòng", 30),
    ("Phó Chánh Văn phòng", 35),
    ("Trưởng phòng", 40),
    ("Phó Trưởng phòng", 45),
    ("Chuyên viên", 60),
    ("Văn thư", 70),
    ("Lưu trữ viên", 70),
    ("Công chức", 80),
]


def seed(apps, schema_editor):
    Role = apps.get_model("orgs", "Role")
    Position = apps.get_model("orgs", "Position")
    for code, name in ROLES:
        Role.objects.update_or_create(code=code, defaults={"name": name})
    for name, rank in POSITIONS:
        Position.objects.get_or_create(name=name, defaults={"rank": rank})


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
