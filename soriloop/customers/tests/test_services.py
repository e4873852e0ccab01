"""Finding or creating customer profiles by external id, e-mail or phone, in one workspace."""

from dataclasses import replace

import pytest

from soriloop.conftest import Member, add, api
from soriloop.core.changes import changes_drain
from soriloop.customers import services
from soriloop.customers.models import Customer
from soriloop.customers.services import (
    CustomerRef,
    customer_resolve_many,
    normalise_email,
    normalise_phone,
)
from soriloop.insights.rollups import rollups_refresh


def resolve(member: Member, *refs: CustomerRef | None) -> list[Customer | None]:
    return customer_resolve_many(workspace=member.workspace, refs=list(refs))


def test_a_ref_without_an_identifier_is_empty() -> None:
    assert CustomerRef().is_empty
    assert CustomerRef(name="Kim", attributes={"segment": "vip"}).is_empty, "a name is not enough"
    assert not CustomerRef(external_id="c-1").is_empty
    assert not CustomerRef(email="kim@example.com").is_empty
    assert not CustomerRef(phone="01012345678").is_empty


def test_emails_are_trimmed_and_lower_cased() -> None:
    assert normalise_email("  Kim@Example.COM \n") == "kim@example.com"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-1234-5678", "01012345678"),
        (" 010 1234 5678 ", "01012345678"),
        ("010.1234.5678", "01012345678"),
        ("(02) 123-4567", "021234567"),
        ("+82 10-1234-5678", "01012345678"),
        ("+82 010-1234-5678", "01012345678"),
        ("+82-2-123-4567", "021234567"),
        ("+1 (555) 123-4567", "+15551234567"),
    ],
)
def test_phones_keep_digits_and_korean_numbers_read_as_dialled_at_home(
    raw: str, expected: str
) -> None:
    assert normalise_phone(raw) == expected


def test_unknown_customers_are_created_with_what_the_ref_says(alice: Member) -> None:
    ref = CustomerRef(
        external_id="c-1",
        email="kim@example.com",
        phone="01012345678",
        name="김민수",
        attributes={"segment": "vip", "plan": "연간"},
    )
    (customer,) = resolve(alice, ref)
    stored = Customer.objects.get(pk=customer.pk)
    assert stored.workspace == alice.workspace
    assert (stored.external_id, stored.email, stored.phone, stored.name) == (
        "c-1",
        "kim@example.com",
        "01012345678",
        "김민수",
    )
    assert stored.attributes == {"segment": "vip", "plan": "연간"}
    assert stored.created_at is not None and stored.created_at.tzinfo is not None
    only_email = resolve(alice, CustomerRef(email="lee@example.com"))[0]
    stored = Customer.objects.get(pk=only_email.pk)
    assert (stored.external_id, stored.phone, stored.name) == (None, None, ""), "unknown is NULL"


def test_results_line_up_with_the_refs_and_none_or_empty_refs_give_none(alice: Member) -> None:
    kim, lee = CustomerRef(email="kim@example.com"), CustomerRef(phone="01012345678")
    results = resolve(alice, None, kim, CustomerRef(name="nobody"), lee, kim)
    assert results[0] is None and results[2] is None
    assert results[1].email == "kim@example.com" and results[3].phone == "01012345678"
    assert results[4].pk == results[1].pk, "the same person twice in a batch is one customer"
    assert Customer.objects.count() == 2
    assert resolve(alice, None, CustomerRef()) == [None, None]
    assert resolve(alice) == []


def test_known_customers_are_found_by_external_id_then_email_then_phone(alice: Member) -> None:
    by_id, by_email, by_phone = resolve(
        alice,
        CustomerRef(external_id="c-1"),
        CustomerRef(email="kim@example.com"),
        CustomerRef(phone="01012345678"),
    )
    # each identifier names a different profile: the external id wins, then the e-mail
    found = resolve(
        alice,
        CustomerRef(external_id="c-1", email="kim@example.com", phone="01012345678"),
        CustomerRef(email="kim@example.com", phone="01012345678"),
        CustomerRef(phone="01012345678"),
    )
    assert [c.pk for c in found] == [by_id.pk, by_email.pk, by_phone.pk]
    assert Customer.objects.count() == 3, "nothing new was created"


def test_a_known_customer_gains_missing_identifiers_and_attributes_but_keeps_its_own(
    alice: Member,
) -> None:
    (customer,) = resolve(
        alice, CustomerRef(email="kim@example.com", name="Kim", attributes={"plan": "free"})
    )
    (again,) = resolve(
        alice,
        CustomerRef(
            email="kim@example.com",
            external_id="c-1",
            phone="01012345678",
            name="Someone else",
            attributes={"plan": "pro", "city": "서울"},
        ),
    )
    assert again.pk == customer.pk
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.external_id, stored.phone) == ("c-1", "01012345678"), "blanks are filled"
    assert stored.name == "Kim", "a name it has is kept"
    assert stored.attributes == {"plan": "pro", "city": "서울"}, "attributes are merged"
    assert stored.updated_at > stored.created_at
    # found later by the identifier it gained
    assert resolve(alice, CustomerRef(phone="01012345678"))[0].pk == customer.pk


def test_a_customer_with_nothing_new_is_not_written(
    alice: Member, django_assert_num_queries
) -> None:
    ref = CustomerRef(external_id="c-1", name="Kim", attributes={"plan": "pro"})
    resolve(alice, ref)
    before = Customer.objects.get().updated_at
    with django_assert_num_queries(1):  # the lookup only
        resolve(alice, ref, CustomerRef(external_id="c-1", attributes={}))
    assert Customer.objects.get().updated_at == before


def test_matching_and_creating_cost_the_same_few_queries_for_one_ref_or_many(
    alice: Member, django_assert_num_queries
) -> None:
    refs = [CustomerRef(external_id=f"c-{i}", email=f"p{i}@example.com") for i in range(300)]
    with django_assert_num_queries(3):  # look up, insert, read back
        created = resolve(alice, *refs)
    assert len({c.pk for c in created}) == 300
    with django_assert_num_queries(1):
        found = resolve(alice, *refs)
    assert [c.pk for c in found] == [c.pk for c in created]


def test_more_new_customers_than_one_insert_holds_are_all_created(alice: Member) -> None:
    refs = [CustomerRef(phone=f"0101234{i:04d}", attributes={"n": i}) for i in range(2_345)]
    created = resolve(alice, *refs)
    assert Customer.objects.filter(workspace=alice.workspace).count() == 2_345
    assert [c.phone for c in created] == [r.phone for r in refs]
    assert created[2_344].attributes == {"n": 2_344}


def test_refs_in_one_batch_that_share_an_identifier_become_one_customer(alice: Member) -> None:
    first, second = resolve(
        alice,
        CustomerRef(email="kim@example.com"),
        CustomerRef(external_id="c-1", email="kim@example.com", name="Kim"),
    )
    assert first.pk == second.pk
    stored = Customer.objects.get()
    assert (stored.external_id, stored.email, stored.name) == ("c-1", "kim@example.com", "Kim")


def test_the_same_person_in_two_workspaces_is_two_customers(alice: Member, bob: Member) -> None:
    ref = CustomerRef(external_id="c-1", email="kim@example.com", phone="01012345678")
    (alices,) = resolve(alice, replace(ref, name="Alice's Kim"))
    # alice finds her own again, and it learns the attribute she sends
    (found,) = resolve(alice, CustomerRef(email="kim@example.com", attributes={"tier": "gold"}))
    assert found.pk == alices.pk
    assert Customer.objects.get(pk=alices.pk).attributes == {"tier": "gold"}
    # bob, naming the same person by every identifier, gets a profile of his own
    (bobs,) = resolve(bob, replace(ref, attributes={"tier": "bronze"}))
    assert bobs.pk != alices.pk and bobs.workspace_id == bob.workspace.id
    kept = Customer.objects.get(pk=alices.pk)
    assert (kept.name, kept.attributes) == ("Alice's Kim", {"tier": "gold"}), "alice's untouched"
    assert resolve(bob, CustomerRef(phone="01012345678"))[0].pk == bobs.pk
    assert resolve(alice, CustomerRef(phone="01012345678"))[0].pk == alices.pk


def test_candidates_are_read_from_the_workspace_only(alice: Member, bob: Member) -> None:
    refs = [CustomerRef(email="kim@example.com", phone="01012345678")]
    (alices,) = resolve(alice, *refs)
    index = services._candidates(alice.workspace, refs)
    assert set(index) == {
        ("email", services.lookup_value("email", "kim@example.com")),
        ("phone", services.lookup_value("phone", "01012345678")),
    }
    assert {c.pk for c in index.values()} == {alices.pk}
    assert services._candidates(bob.workspace, refs) == {}
    assert services._candidates(alice.workspace, [CustomerRef(name="only a name")]) == {}


def test_candidates_read_attributes_back_as_stored(alice: Member) -> None:
    attributes = {"segment": "vip", "tags": ["배송", "app"], "score": 9.5, "active": True}
    resolve(alice, CustomerRef(external_id="c-1", attributes=attributes))
    (customer,) = services._candidates(alice.workspace, [CustomerRef(external_id="c-1")]).values()
    assert customer.attributes == attributes
    assert customer.workspace_id == alice.workspace.id and customer.pk is not None


def test_an_insert_leaves_a_customer_another_writer_created_first_as_it_is(
    alice: Member,
) -> None:
    (first,) = resolve(alice, CustomerRef(email="kim@example.com", name="Kim"))
    services._insert_new(
        alice.workspace,
        [CustomerRef(email="kim@example.com", name="Late"), CustomerRef(email="lee@example.com")],
    )
    assert Customer.objects.get(pk=first.pk).name == "Kim"
    assert sorted(c.email for c in Customer.objects.all()) == [
        "kim@example.com",
        "lee@example.com",
    ]


def test_a_gained_identifier_that_belongs_to_another_profile_is_left_out_and_the_rest_kept(
    alice: Member,
) -> None:
    kim, lee = resolve(
        alice, CustomerRef(email="kim@example.com"), CustomerRef(phone="01012345678")
    )
    # the e-mail finds kim, whose blank phone would take lee's number
    (found,) = resolve(
        alice,
        CustomerRef(
            email="kim@example.com",
            phone="01012345678",
            external_id="c-9",
            name="Kim",
            attributes={"segment": "vip"},
        ),
    )
    assert found.pk == kim.pk and found.phone is None
    stored = Customer.objects.get(pk=kim.pk)
    assert stored.phone is None, "profiles are not merged"
    assert (stored.external_id, stored.name, stored.attributes) == (
        "c-9",
        "Kim",
        {"segment": "vip"},
    )
    assert Customer.objects.get(pk=lee.pk).phone == "01012345678"
    # the transaction goes on after the refused save
    assert resolve(alice, CustomerRef(email="new@example.com"))[0].pk is not None


def test_a_segment_change_recounts_the_days_of_the_customers_feedback(
    alice: Member, bob: Member, api_key_of
) -> None:
    customer = {"external_id": "c-1", "attributes": {"segment": "vip"}}
    for member in (alice, bob):
        add(member, text="배송이 늦어요", received_at="2026-03-02T12:00:00", customer=customer)
    changes_drain()
    rollups_refresh()
    query = "/metrics?date_from=2026-03-01&date_to=2026-03-07&segment="

    def volume(member: Member, segment: str) -> int:
        body = api("get", query + segment, api_key_of(member, "read")).json()
        return body["metrics"]["volume"]["value"]

    assert (volume(alice, "vip"), volume(alice, "enterprise")) == (1, 0)
    # no new feedback: only the customer moves to another segment
    resolve(alice, CustomerRef(external_id="c-1", attributes={"segment": "enterprise"}))
    changes_drain()
    rollups_refresh()
    assert (volume(alice, "vip"), volume(alice, "enterprise")) == (0, 1)
    assert (volume(bob, "vip"), volume(bob, "enterprise")) == (1, 0), "bob's customer stays"


def test_the_lookup_binds_every_value(alice: Member) -> None:
    hostile = "x') OR 1=1 --"
    resolve(alice, CustomerRef(email="kim@example.com"))
    (customer,) = resolve(alice, CustomerRef(external_id=hostile))
    assert Customer.objects.get(pk=customer.pk).external_id == hostile
    assert Customer.objects.count() == 2
