"""Create the pain clinic, its two campuses with their catchments (clinical-rules.md
section 5), and one auth group per staff role."""

from django.db import migrations

CLINIC = {"name": "Pijnkliniek", "phone": "03 890 59 23"}
CAMPUSES = [
    {
        "code": "bornem",
        "name": "Bornem",
        "phone": "03 890 59 23",
        "catchment": ["2880", "2870", "2890", "1840", "9140", "9255"],
    },
    {
        "code": "rumst",
        "name": "Rumst",
        "phone": "03 880 90 11",
        "catchment": ["2840", "2850", "2845", "2627", "2620", "2630", "2550", "2570"],
    },
]
ROLES = ["reception", "physiotherapist", "coordinator", "manager", "admin"]


def create(apps, schema_editor):
    Clinic = apps.get_model("clinics", "Clinic")
    Campus = apps.get_model("clinics", "Campus")
    CatchmentPostcode = apps.get_model("clinics", "CatchmentPostcode")
    Group = apps.get_model("auth", "Group")
    clinic, _ = Clinic.objects.get_or_create(name=CLINIC["name"], defaults={"phone": CLINIC["phone"]})
    for data in CAMPUSES:
        campus, _ = Campus.objects.get_or_create(
            code=data["code"],
            defaults={"clinic": clinic, "name": data["name"], "phone": data["phone"]},
        )
        for postcode in data["catchment"]:
            CatchmentPostcode.objects.get_or_create(postcode=postcode, defaults={"campus": campus})
    for role in ROLES:
        Group.objects.get_or_create(name=role)


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
