"""The five exercises of the patient leaflet, as the leaflet has them (clinical-rules.md
section 7, rule version 2027.1): the leaflet's Dutch names so that patients recognise
them, and the same content (position, movement, hold, rest, repetitions) in the
project's own words. 0002 had given *Buikspieren*, *Rugspieren* and *Rug hol maken*
other exercises under other names; the codes stay, so prescriptions keep pointing at
them. Exercises an admin added are left alone (``from_leaflet`` stays false).
"""

from django.db import migrations

STRETCHING_DOSAGE = {
    "nl": "5 tot 10 keer na elkaar, 's morgens en 's avonds",
    "fr": "5 à 10 fois de suite, le matin et le soir",
    "en": "5 to 10 times in a row, morning and evening",
}
STRENGTHENING_DOSAGE = {
    "nl": "Zo lang mogelijk vasthouden, 1 minuut rusten en herhalen. Pas vanaf week 6.",
    "fr": "Tenir le plus longtemps possible, se reposer 1 minute et recommencer. Seulement"
    " à partir de la 6e semaine.",
    "en": "Hold as long as you can, rest 1 minute and repeat. Only from week 6.",
}

EXERCISES = [
    {
        "code": "knee-to-chest",
        "kind": "stretching",
        "position": 1,
        "name": {
            "nl": "Knieën optrekken",
            "fr": "Ramener les genoux (Knieën optrekken)",
            "en": "Knees to chest (Knieën optrekken)",
        },
        "instructions": {
            "nl": "Lig op uw rug met de knieën gebogen en de voeten plat op de grond. Trek één"
            " knie langzaam naar uw borst en houd dat 30 seconden vast. Laat het been rustig"
            " zakken en doe hetzelfde met het andere been.",
            "fr": "Allongez-vous sur le dos, genoux pliés, pieds à plat sur le sol. Ramenez"
            " lentement un genou vers la poitrine et tenez 30 secondes. Reposez doucement la"
            " jambe et faites de même avec l'autre jambe.",
            "en": "Lie on your back with your knees bent and your feet flat on the floor. Pull"
            " one knee slowly towards your chest and hold it there for 30 seconds. Lower the"
            " leg gently and do the same with the other leg.",
        },
        "dosage": {
            "nl": "30 seconden vasthouden per been; 5 tot 10 keer na elkaar, 's morgens en"
            " 's avonds",
            "fr": "Tenir 30 secondes par jambe ; 5 à 10 fois de suite, le matin et le soir",
            "en": "Hold 30 seconds per leg; 5 to 10 times in a row, morning and evening",
        },
    },
    {
        "code": "hollow-back",
        "kind": "stretching",
        "position": 2,
        "name": {
            "nl": "Rug hol maken",
            "fr": "Creuser le dos (Rug hol maken)",
            "en": "Hollow back (Rug hol maken)",
        },
        "instructions": {
            "nl": "Maak uw rug zo hol als u kunt: duw uw buik naar voren en uw billen naar"
            " achteren. Maak uw rug daarna weer recht: trek uw buik in en span uw bilspieren"
            " een beetje aan. U kunt dit liggend, zittend, staand of op handen en knieën doen.",
            "fr": "Creusez le dos autant que vous pouvez : poussez le ventre vers l'avant et les"
            " fesses vers l'arrière. Redressez ensuite le dos : rentrez le ventre et serrez un"
            " peu les fessiers. Vous pouvez le faire couché, assis, debout ou à quatre pattes.",
            "en": "Make your back as hollow as you can: push your belly forward and your"
            " buttocks back. Then straighten your back: pull your belly in and tighten your"
            " buttocks a little. You can do this lying down, sitting, standing or on your"
            " hands and knees.",
        },
        "dosage": STRETCHING_DOSAGE,
    },
    {
        "code": "lower-back-rotation",
        "kind": "stretching",
        "position": 3,
        "name": {
            "nl": "Onderkant van de rug draaien",
            "fr": "Tourner le bas du dos (Onderkant van de rug draaien)",
            "en": "Lower-back rotation (Onderkant van de rug draaien)",
        },
        "instructions": {
            "nl": "Lig op uw rug met de knieën gebogen en de voeten plat op de grond. Beweeg"
            " beide knieën langzaam naar links en daarna naar rechts. Uw schouders blijven op"
            " de grond.",
            "fr": "Allongez-vous sur le dos, genoux pliés, pieds à plat sur le sol. Amenez"
            " lentement les deux genoux vers la gauche, puis vers la droite. Vos épaules restent"
            " au sol.",
            "en": "Lie on your back with your knees bent and your feet flat on the floor. Move"
            " both knees slowly to the left, then to the right. Your shoulders stay on the"
            " floor.",
        },
        "dosage": STRETCHING_DOSAGE,
    },
    {
        "code": "abdominal-curl-up",
        "kind": "strengthening",
        "position": 1,
        "name": {
            "nl": "Buikspieren",
            "fr": "Abdominaux (Buikspieren)",
            "en": "Stomach muscles (Buikspieren)",
        },
        "instructions": {
            "nl": "Lig op uw rug met de knieën gebogen en de voeten plat op de grond. Kom met uw"
            " bovenlichaam omhoog en raak met uw vingers uw knieën aan. Houd dat zo lang"
            " mogelijk vast. Rust daarna 1 minuut en herhaal.",
            "fr": "Allongez-vous sur le dos, genoux pliés, pieds à plat sur le sol. Relevez le"
            " haut du corps et touchez vos genoux du bout des doigts. Tenez le plus longtemps"
            " possible. Reposez-vous ensuite 1 minute et recommencez.",
            "en": "Lie on your back with your knees bent and your feet flat on the floor. Lift"
            " your upper body and touch your knees with your fingers. Hold this as long as you"
            " can. Then rest for 1 minute and repeat.",
        },
        "dosage": STRENGTHENING_DOSAGE,
    },
    {
        "code": "prone-back-extension",
        "kind": "strengthening",
        "position": 2,
        "name": {
            "nl": "Rugspieren",
            "fr": "Muscles du dos (Rugspieren)",
            "en": "Back muscles (Rugspieren)",
        },
        "instructions": {
            "nl": "Lig op uw buik met gestrekte benen en de armen naar voren gestrekt. Til uw"
            " armen en benen op van de grond en houd dat vast. Rust daarna 1 minuut en herhaal.",
            "fr": "Allongez-vous sur le ventre, jambes tendues, bras tendus vers l'avant. Levez"
            " les bras et les jambes du sol et tenez la position. Reposez-vous ensuite 1 minute"
            " et recommencez.",
            "en": "Lie on your belly with your legs straight and your arms stretched out in"
            " front of you. Lift your arms and legs off the floor and hold. Then rest for 1"
            " minute and repeat.",
        },
        "dosage": STRENGTHENING_DOSAGE,
    },
]


def as_leaflet(apps, schema_editor):
    Exercise = apps.get_model("treatment", "Exercise")
    for data in EXERCISES:
        fields = {"kind": data["kind"], "position": data["position"], "from_leaflet": True}
        for part in ("name", "instructions", "dosage"):
            for language, text in data[part].items():
                fields[f"{part}_{language}"] = text
        Exercise.objects.update_or_create(code=data["code"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("treatment", "0003_week6_override_and_leaflet_flag")]

    operations = [migrations.RunPython(as_leaflet, migrations.RunPython.noop)]
