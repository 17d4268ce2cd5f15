from datetime import date

import pytest
from django.conf import settings
from django.urls import reverse

from intake.models import Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

VALID_INSZ = "85073003328"  # born 30/07/1985


def form_data(**overrides):
    data = {
        "insz": "85.07.30-033.28",
        "no_insz_reason": "",
        "last_name": "Peeters",
        "first_name": "An",
        "birth_date": "1985-07-30",
        "sex": "F",
        "language": "nl",
        "email": "an.peeters@example.org",
        "phone": "0470 12 34 56",
        "postcode": "2880",
        "gp_name": "Dr. Claes",
        "gp_practice": "",
        "email_consent": "on",
        "campus_preference": "",
    }
    data.update(overrides)
    return data


def test_it_registers_a_patient_with_normalised_insz_and_phone(desk, receptionist):
    response = desk.post(reverse("intake:patient_new"), form_data())
    patient = Patient.objects.get()
    assert response.url == reverse("intake:patient_detail", args=[patient.pk])
    assert patient.insz == VALID_INSZ
    assert patient.phone == "+32470123456"
    assert patient.email_consent_at is not None
    assert patient.created_by == receptionist


def test_a_wrong_check_digit_is_explained_beside_the_field_and_nothing_is_saved(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(insz="85073003329"))
    assert response.status_code == 200
    assert "check digits" in str(response.context["form"].errors["insz"])
    assert 'value="85073003329"' in response.content.decode()  # what was typed stays
    assert not Patient.objects.exists()


@pytest.mark.parametrize(
    ("insz", "message"),
    [("8507300332", "11 digits"), ("85133003370", "valid birth date")],
)
def test_an_invalid_insz_says_which_check_failed(desk, insz, message):
    response = desk.post(reverse("intake:patient_new"), form_data(insz=insz))
    assert message in str(response.context["form"].errors["insz"])


def test_the_birth_date_must_agree_with_the_insz(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(birth_date="1985-07-31"))
    assert "30/07/1985" in str(response.context["form"].errors["birth_date"])
    assert not Patient.objects.exists()


def test_a_patient_without_insz_needs_a_reason(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(insz=""))
    assert "no_insz_reason" in response.context["form"].errors
    desk.post(reverse("intake:patient_new"), form_data(insz="", no_insz_reason="Dutch tourist"))
    assert Patient.objects.get().insz is None


def test_an_unknown_postcode_is_refused(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(postcode="9999"))
    assert "postcode" in response.context["form"].errors


def test_an_invalid_phone_is_refused(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(phone="12345"))
    assert "phone" in response.context["form"].errors


def test_consent_without_email_is_refused(desk):
    response = desk.post(reverse("intake:patient_new"), form_data(email=""))
    assert "email" in response.context["form"].errors


def test_a_second_record_with_the_same_insz_is_refused_and_the_existing_one_offered(desk):
    existing = PatientFactory(insz=VALID_INSZ, birth_date=date(1985, 7, 30))
    response = desk.post(reverse("intake:patient_new"), form_data())
    assert "insz" in response.context["form"].errors
    assert reverse("intake:patient_detail", args=[existing.pk]) in response.content.decode()
    assert Patient.objects.count() == 1


def test_a_near_duplicate_warns_and_offers_the_existing_record(desk):
    existing = PatientFactory(last_name="Peetërs", birth_date=date(1985, 7, 30))
    response = desk.post(
        reverse("intake:patient_new"),
        form_data(last_name="PEETERS", insz="", no_insz_reason="tourist"),
    )
    assert response.status_code == 200
    assert reverse("intake:patient_detail", args=[existing.pk]) in response.content.decode()
    assert Patient.objects.count() == 1


def test_a_near_duplicate_can_be_confirmed_as_a_different_person(desk):
    PatientFactory(last_name="Peeters", birth_date=date(1985, 7, 30))
    desk.post(reverse("intake:patient_new"), form_data(confirm_new="on"))
    assert Patient.objects.count() == 2


def test_editing_a_patient_keeps_the_insz_check(desk):
    patient = PatientFactory(insz=VALID_INSZ, birth_date=date(1985, 7, 30))
    response = desk.post(
        reverse("intake:patient_edit", args=[patient.pk]),
        form_data(last_name=patient.last_name, first_name="Anneke"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.first_name == "Anneke"


def test_the_patient_page_shows_the_municipality(desk):
    patient = PatientFactory(postcode="2880")
    response = desk.get(reverse("intake:patient_detail", args=[patient.pk]))
    assert "2880 Bornem" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("peeters", {"An Peeters", "Jan Peeters"}),
        ("PÉÉTERS an", {"An Peeters"}),
        ("85.07.30-033.28", {"An Peeters"}),
        ("30/07/1985", {"An Peeters", "Els Maes"}),
        ("peeters 01/01/1990", {"Jan Peeters"}),
        ("janssens", set()),
    ],
)
def test_patient_search_by_insz_name_or_birth_date(desk, query, expected):
    PatientFactory(
        first_name="An", last_name="Peeters", insz=VALID_INSZ, birth_date=date(1985, 7, 30)
    )
    PatientFactory(first_name="Jan", last_name="Peeters", birth_date=date(1990, 1, 1))
    PatientFactory(first_name="Els", last_name="Maes", birth_date=date(1985, 7, 30))
    response = desk.get(reverse("intake:patient_search"), {"q": query})
    assert {p.full_name for p in response.context["patients"]} == expected


def test_patient_search_pages_with_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    size = settings.BACKPATH_PAGE_SIZE
    for n in range(size + 5):
        PatientFactory(last_name="Peeters", first_name=f"Kind{n:02d}")
    # session read + sliding-expiry write (4), user, roles, one page, the read-log row
    with django_assert_max_num_queries(8):
        response = desk.get(reverse("intake:patient_search"), {"q": "peeters"})
    assert len(response.context["patients"]) == size
    assert response.context["has_next"]
    second = desk.get(reverse("intake:patient_search"), {"q": "peeters", "page": 2})
    assert len(second.context["patients"]) == 5
    assert not second.context["has_next"]


def test_patient_search_pages_follow_the_pager_links_in_name_order(desk, settings):
    """The pager's links carry the first or last id shown (keyset paging, no OFFSET)."""
    settings.BACKPATH_PAGE_SIZE = 25
    for n in range(60):
        PatientFactory(last_name="Peeters", first_name=f"Kind{n:02d}")
    PatientFactory(last_name="Maes", first_name="Els")
    url = reverse("intake:patient_search")
    names = [f"Kind{n:02d} Peeters" for n in range(60)]

    first = desk.get(url, {"q": "peeters"})
    assert [p.full_name for p in first.context["patients"]] == names[:25]
    last_id = first.context["patients"][-1].pk
    assert f"after={last_id}&amp;page=2" in first.content.decode()

    second = desk.get(url, {"q": "peeters", "after": last_id, "page": 2})
    assert [p.full_name for p in second.context["patients"]] == names[25:50]
    assert second.context["page"] == 2 and second.context["has_next"]
    third = desk.get(url, {"q": "peeters", "after": second.context["patients"][-1].pk, "page": 3})
    assert [p.full_name for p in third.context["patients"]] == names[50:]
    assert not third.context["has_next"]

    first_id = third.context["patients"][0].pk
    assert f"before={first_id}&amp;page=2" in third.content.decode()
    back = desk.get(url, {"q": "peeters", "before": first_id, "page": 2})
    assert [p.full_name for p in back.context["patients"]] == names[25:50]
    assert back.context["page"] == 2 and back.context["has_next"]
    # From page 2, "Previous" is the first page itself.
    assert 'href="?q=peeters&amp;page=1"' in back.content.decode()


def test_patient_search_pages_survive_a_stale_or_odd_cursor(desk):
    PatientFactory(last_name="Peeters", first_name="An")
    url = reverse("intake:patient_search")
    for params in ({"after": 999999}, {"before": 999999}, {"after": "x"}, {"after": 10**30}):
        response = desk.get(url, {"q": "peeters", **params})
        assert response.status_code == 200
