"""Drives a gateway with the official Python `openai` client; prints one JSON line of what it saw.

Run by test/server/openai-python.test.ts with APPRENTICE_URL, APPRENTICE_KEY and APPRENTICE_MODEL set.
"""
import json
import os

import openai

client = openai.OpenAI(base_url=os.environ["APPRENTICE_URL"] + "/v1", api_key=os.environ["APPRENTICE_KEY"], max_retries=0)
model = os.environ["APPRENTICE_MODEL"]
text = os.environ["APPRENTICE_TEXT"]
seen = {}

plain = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
seen["plain"] = plain.choices[0].message.content

as_json = client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], response_format={"type": "json_object"})
seen["json_object"] = json.loads(as_json.choices[0].message.content)

seen["retrieved"] = client.models.retrieve(model).id
seen["listed"] = [m.id for m in client.models.list()]

try:
    client.chat.completions.create(model=model, messages=[{"role": "user", "content": text}], n=2)
    seen["n2"] = "accepted"
except openai.BadRequestError as err:
    seen["n2"] = err.code

try:
    client.embeddings.create(model=model, input="x")
    seen["embeddings"] = "accepted"
except openai.NotFoundError as err:
    seen["embeddings"] = err.status_code

print(json.dumps(seen))
