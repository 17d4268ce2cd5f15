"""Seed the exercise library with the exercises of the patient leaflets.

Stretching from day one, strengthening from week 6; 5 to 10 repetitions, morning
and evening (clinical-rules.md section 2). Admins add more in the Django admin.
"""

from django.db import migrations

TWICE_DAILY = {
    "nl": "5 tot 10 keer, 's morgens en 's avonds",
    "fr": "5 à 10 fois, le matin et le soir",
    "en": "5 to 10 times, morning and evening",
}

EXERCISES = [
    {
        "code": "knee-to-chest",
        "kind": "stretching",
        "position": 1,
        "name": {
            "nl": "Knie naar de borst",
            "fr": "Genou vers la poitrine",
            "en": "Knee to chest",
        },
        "instructions": {
            "nl": "Ga op uw rug liggen met beide knieën gebogen en uw voeten plat op de grond."
            " Trek met beide handen één knie naar uw borst tot u een lichte rek voelt in uw"
            " onderrug. Houd 30 seconden vast, laat het been rustig zakken en doe hetzelfde"
            " met het andere been. Wissel af tussen links en rechts.",
            "fr": "Allongez-vous sur le dos, les deux genoux pliés et les pieds à plat sur le"
            " sol. Avec les deux mains, ramenez un genou vers la poitrine jusqu'à sentir un"
            " léger étirement dans le bas du dos. Tenez 30 secondes, redescendez lentement la"
            " jambe et faites de même avec l'autre jambe. Alternez gauche et droite.",
            "en": "Lie on your back with both knees bent and your feet flat on the floor. Pull"
            " one knee towards your chest with both hands until you feel a gentle stretch in"
            " your lower back. Hold for 30 seconds, lower the leg slowly and do the same with"
            " the other leg. Alternate left and right.",
        },
        "dosage": {
            "nl": "5 tot 10 keer per been, 's morgens en 's avonds; telkens 30 seconden"
            " vasthouden",
            "fr": "5 à 10 fois par jambe, le matin et le soir ; tenir 30 secondes chaque fois",
            "en": "5 to 10 times per leg, morning and evening; hold 30 seconds each time",
        },
    },
    {
        "code": "hollow-back",
        "kind": "stretching",
        "position": 2,
        "name": {"nl": "Holle rug", "fr": "Dos creux", "en": "Hollow back"},
        "instructions": {
            "nl": "Ga op uw rug liggen met de knieën gebogen en de voeten plat op de grond."
            " Maak uw onderrug rustig hol zodat hij loskomt van de grond, en duw hem daarna"
            " weer plat tegen de grond door uw bekken te kantelen. Beweeg rustig en niet"
            " verder dan comfortabel is.",
            "fr": "Allongez-vous sur le dos, genoux pliés et pieds à plat sur le sol. Creusez"
            " lentement le bas du dos pour le décoller du sol, puis plaquez-le à nouveau"
            " contre le sol en basculant le bassin. Bougez calmement et seulement aussi loin"
            " que c'est confortable.",
            "en": "Lie on your back with your knees bent and your feet flat on the floor."
            " Slowly arch your lower back so that it lifts off the floor (a hollow back), then"
            " press it flat against the floor again by tilting your pelvis. Move calmly and"
            " only as far as is comfortable.",
        },
        "dosage": TWICE_DAILY,
    },
    {
        "code": "lower-back-rotation",
        "kind": "stretching",
        "position": 3,
        "name": {
            "nl": "Draaien van de onderrug",
            "fr": "Rotation du bas du dos",
            "en": "Lower-back rotation",
        },
        "instructions": {
            "nl": "Ga op uw rug liggen met de knieën gebogen en tegen elkaar, de voeten plat op"
            " de grond en de armen zijwaarts. Laat beide knieën langzaam naar één kant zakken"
            " terwijl uw schouders op de grond blijven. Houd enkele seconden vast, breng de"
            " knieën terug naar het midden en laat ze naar de andere kant zakken.",
            "fr": "Allongez-vous sur le dos, genoux pliés et serrés, pieds à plat sur le sol,"
            " bras écartés. Laissez descendre lentement les deux genoux d'un côté en gardant"
            " les épaules au sol. Tenez quelques secondes, ramenez les genoux au centre puis"
            " laissez-les descendre de l'autre côté.",
            "en": "Lie on your back with your knees bent and together, your feet flat on the"
            " floor and your arms out to the sides. Let both knees sink slowly to one side"
            " while your shoulders stay on the floor. Hold for a few seconds, bring the knees"
            " back to the middle and let them sink to the other side.",
        },
        "dosage": {
            "nl": "5 tot 10 keer naar elke kant, 's morgens en 's avonds",
            "fr": "5 à 10 fois de chaque côté, le matin et le soir",
            "en": "5 to 10 times to each side, morning and evening",
        },
    },
    {
        "code": "abdominal-curl-up",
        "kind": "strengthening",
        "position": 1,
        "name": {
            "nl": "Buikspieroefening (curl-up)",
            "fr": "Redressement abdominal (curl-up)",
            "en": "Abdominal curl-up",
        },
        "instructions": {
            "nl": "Ga op uw rug liggen met de knieën gebogen en de voeten plat op de grond, de"
            " armen gekruist over de borst. Span uw buikspieren aan en til uw hoofd en"
            " schouders een beetje van de grond. Houd enkele seconden vast en zak rustig"
            " terug. Blijf rustig ademen en trek niet aan uw nek.",
            "fr": "Allongez-vous sur le dos, genoux pliés et pieds à plat sur le sol, bras"
            " croisés sur la poitrine. Contractez les abdominaux et décollez un peu la tête et"
            " les épaules du sol. Tenez quelques secondes et redescendez lentement. Respirez"
            " calmement ; ne tirez pas sur la nuque.",
            "en": "Lie on your back with your knees bent and your feet flat on the floor, arms"
            " crossed over your chest. Tighten your stomach muscles and lift your head and"
            " shoulders a little off the floor. Hold for a few seconds and lower yourself"
            " slowly. Keep breathing calmly and do not pull on your neck.",
        },
        "dosage": TWICE_DAILY,
    },
    {
        "code": "prone-back-extension",
        "kind": "strengthening",
        "position": 2,
        "name": {
            "nl": "Rugstrekking op de buik",
            "fr": "Extension du dos à plat ventre",
            "en": "Back extension lying prone",
        },
        "instructions": {
            "nl": "Ga op uw buik liggen met de armen langs het lichaam en het voorhoofd op de"
            " grond. Span uw bilspieren aan en til hoofd en schouders een beetje van de grond,"
            " met de blik naar de grond. Houd enkele seconden vast en zak rustig terug.",
            "fr": "Allongez-vous sur le ventre, bras le long du corps, front posé au sol."
            " Contractez les fessiers et décollez un peu la tête et les épaules du sol, le"
            " regard vers le sol. Tenez quelques secondes et redescendez lentement.",
            "en": "Lie on your stomach with your arms alongside your body and your forehead on"
            " the floor. Tighten your buttocks and lift your head and shoulders a little off"
            " the floor, looking down at the floor. Hold for a few seconds and lower yourself"
            " slowly.",
        },
        "dosage": TWICE_DAILY,
    },
]


def seed(apps, schema_editor):
    Exercise = apps.get_model("treatment", "Exercise")
    for data in EXERCISES:
        fields = {"kind": data["kind"], "position": data["position"]}
        for part in ("name", "instructions", "dosage"):
            for language, text in data[part].items():
                fields[f"{part}_{language}"] = text
        Exercise.objects.get_or_create(code=data["code"], defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("treatment", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
