"""The mock as the asyncio client aiosnow sees it (issue 22): insert, a query read across
pages by following `Link`, update by id and by condition, delete, a reference followed through
its link, and the contains() and not_equals() queries. Every step is an assertion; the last
line is `N passed, M failed`.

Run by scripts/clients/run.sh with SN_MOCK_URL (https://127.0.0.1:PORT) and SSL_CERT_FILE
naming the mock's CA (aiohttp's default context trusts it).
"""

import asyncio
import os
import sys
import traceback

import aiosnow
from aiosnow.models import ModelSchema, TableModel, fields

URL = os.environ["SN_MOCK_URL"]
HOST = URL.split("://", 1)[1]
ADMIN = ("admin", os.environ.get("SN_MOCK_ADMIN_PASSWORD", "admin"))
results = []


class Queue(TableModel):
    sys_id = fields.String(is_primary=True)
    name = fields.String()
    active = fields.String()


class User(ModelSchema):
    sys_id = fields.String(is_primary=True)
    user_name = fields.String()
    name = fields.String()


class Users(TableModel):
    sys_id = fields.String(is_primary=True)
    user_name = fields.String()
    name = fields.String()


class WorkItem(TableModel):
    sys_id = fields.String(is_primary=True)
    state = fields.String()
    assigned_to = User


async def step(name, coroutine):
    try:
        await coroutine
        results.append((name, None))
        print(f"ok      {name}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, none stops the run
        results.append((name, e))
        print(f"FAILED  {name}: {e!r}")
        traceback.print_exc(limit=3)


made = {}
NAMES = ["aio alpha", "aio beta", "aio gamma", "aio delta", "aio epsilon"]


async def insert(client):
    async with Queue(client, table_name="awa_queue") as queues:
        for name in NAMES:
            response = await queues.create({"name": name, "active": "true"})
            assert response.status == 201, response.status
            assert response["name"] == name, response.data
            made[name] = response["sys_id"]


async def pages(client):
    async with Queue(client, table_name="awa_queue") as queues:
        seen, responses = [], set()
        async for response, record in queues.stream(Queue.name.starts_with("aio "), page_size=2):
            responses.add(id(response))
            seen.append(record["name"])
        assert sorted(seen) == sorted(NAMES), seen
        # Five records two at a time: three pages, each found through the last one's Link.
        assert len(responses) == 3, len(responses)


async def update(client):
    async with Queue(client, table_name="awa_queue") as queues:
        by_id = await queues.update(made["aio beta"], {"active": "false"})
        assert by_id["active"] == "false", by_id.data
        by_condition = await queues.update(Queue.name.equals("aio gamma"), {"active": "false"})
        assert by_condition["sys_id"] == made["aio gamma"], by_condition.data
        again = await queues.get_one(Queue.sys_id.equals(made["aio gamma"]))
        assert again["active"] == "false", again.data


async def queries(client):
    async with Queue(client, table_name="awa_queue") as queues:
        contains = await queues.get(Queue.name.contains("mm"))
        assert [r["name"] for r in contains.data] == ["aio gamma"], contains.data
        inactive = await queues.get(Queue.name.starts_with("aio ") & Queue.active.not_equals("true"))
        assert sorted(r["name"] for r in inactive.data) == ["aio beta", "aio gamma"], inactive.data


async def reference(client):
    async with Users(client, table_name="sys_user") as users:
        admin = await users.get_one(Users.user_name.equals("admin"))
        admin_id = admin["sys_id"]
    async with WorkItem(client, table_name="awa_work_item") as items:
        created = await items.create({"state": "queued", "assigned_to": admin_id})
        made["work_item"] = created["sys_id"]
        item = await items.get_one(WorkItem.sys_id.equals(made["work_item"]))
        # The reference was read through its link: the user's own fields are there.
        assert item["assigned_to"]["user_name"] == "admin", item.data
        assert item["assigned_to"]["name"] == "System Administrator", item.data
        await items.delete(made["work_item"])


async def delete(client):
    async with Queue(client, table_name="awa_queue") as queues:
        for name in NAMES:
            response = await queues.delete(made[name])
            assert response.status == 204, response.status
        left = await queues.get(Queue.name.starts_with("aio "))
        assert left.data == [], left.data


async def main():
    client = aiosnow.Client(HOST, basic_auth=ADMIN)
    await step("aiosnow insert", insert(client))
    await step("aiosnow query across pages (Link)", pages(client))
    await step("aiosnow update by id and by condition", update(client))
    await step("aiosnow contains() and not_equals()", queries(client))
    await step("aiosnow a reference followed through its link", reference(client))
    await step("aiosnow delete", delete(client))


asyncio.run(main())
failed = [n for n, e in results if e is not None]
print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
sys.exit(1 if failed else 0)
