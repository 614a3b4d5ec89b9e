#!/usr/bin/env python3
"""A local fake of Zoho's servers (Accounts, CRM v8, WorkDrive) for dealchat's tests.

Python 3.11 standard library only.  One origin plays every Zoho host: the accounts server,
the CRM/WorkDrive API domain, WorkDrive's upload server and its download server are all
served here by path (every base URL in the product is configurable).

    python3 tests/fakes/zoho_fake.py [--port 0] [--host 127.0.0.1] [--state-dir DIR]
                                     [--client-id ID] [--client-secret S] [--verbose]

Once it listens it prints exactly one line to stdout, ``LISTENING http://127.0.0.1:<port>``,
and flushes.  SIGTERM/SIGINT stop it cleanly (a temporary state dir it made itself is removed).

Sources.  Every behaviour below is tagged:
  [doc]  Zoho's documentation pages (zoho.com/crm/developer/docs/api/v8, zoho.com/accounts
         OAuth pages, zoho.com/workdrive/developer/docs/api/v1), as collected in
         /work/shared/docs/zoho-wire.md or looked up for this file;
  [src]  Zoho's SDK/OpenAPI sources (zoho/crm-oas v8.0, ZohoWorkDrive/n8n-nodes-workdrive), or
         the wire doc's [src] lines;
  [3p]   seen in third-party clients (rclone's zoho backend, scripts using WorkDrive);
  [inf]  inferred.  Inferred behaviours that a test might want otherwise are switchable with
         POST /_fake/config (the key is given in braces).

Wire doc: /work/shared/docs/zoho-wire.md.  Doc pages used beyond it:
  https://www.zoho.com/accounts/protocol/oauth/revoke-refresh-token.html (revoke)
  https://www.zoho.com/workdrive/developer/docs/api/v1/create-session-normal-upload.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/large-file-upload-as-chunks.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/commit-session-normal-upload.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/create-session-for-revision-upload.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/commit-session-for-revision-upload.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/upload-session-progress.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/upload-file.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/upload-large-file-250mb.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/download-file.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/create-folder.html
  https://www.zoho.com/workdrive/developer/docs/api/v1/getting-started-request-header.html

BEHAVIOURS
==========
Process / control
  - One origin for every host; accounts-server in the callback and api_domain in token answers
    are this base URL [inf, by design].
  - Everything outside /_fake/ is recorded: seq, method, path, query, selected headers
    (authorization, content-type, accept, x-crm-org, if-modified-since, content-range,
    upload-id, range, content-length and every x-* header), parsed JSON or form body,
    multipart parts as {name, filename, size, sha256} (bodies are streamed to disk, never held
    in memory), body_size and the status answered [inf].
  - Request bodies may be sent with Content-Length or chunked transfer encoding [inf].
  - fail_next entries {path_prefix, status, body, headers} answer the next matching request once
    (any path outside /_fake/); without a body CRM paths get {"code":"INTERNAL_ERROR",...} and
    others a JSON:API errors body [inf].
  - rate_limit_next N: the next N CRM/WorkDrive calls answer 429; CRM body
    {"code":"TOO_MANY_REQUESTS",...}; WorkDrive body {"errors":[{"id":"R429",...}]}
    [doc: 429 on rate limit; body codes inf].
  - {concurrency_limit} (default null): more CRM calls in flight than this answer 429, as Zoho's
    concurrency limit does [doc: 10-25 concurrent calls; default off, inf].
  - delay_ms: artificial latency on CRM calls; max_concurrent_crm in /_fake/state [inf].

Accounts (OAuth 2.0)
  - GET /oauth/v2/auth shows an HTML consent page (title "Zoho Accounts", "<app> would like to
    access your Zoho account", scopes listed, form POSTing every query param to
    /oauth/v2/auth/approve with decision=accept|reject) [inf page; params doc].
    Unknown client -> 400 page "Invalid Client"; missing client_id/response_type/redirect_uri/
    scope or response_type != code -> 400 page [inf].  {redirect_uris}: when a list is
    configured, other redirect URIs get a 400 page "Invalid Redirect Uri" [inf].
  - Accept -> 302 {redirect_uri}?state=..&code=1000.<hex>.<hex>&location=us&accounts-server=<base>
    [doc]; the code is single-use, bound to client_id and redirect_uri, valid
    {code_lifetime_secs}=120 s [doc: ~2 minutes].  Reject -> 302 ?error=access_denied&state=.. [inf].
  - POST /oauth/v2/token takes params in the query string or a form body (both merged, body
    wins) [doc][src].  authorization_code -> 200 {access_token, refresh_token (only when the
    consent had access_type=offline [doc]), scope, api_domain, token_type:"Bearer",
    expires_in} [doc]; refresh_token -> same without refresh_token [doc].
    {token_lifetime_secs}=3600 [doc].  {legacy_expires}: expires_in_sec in seconds and
    expires_in in milliseconds [src].
  - Token errors with HTTP 200 [doc/3p]: invalid_client (unknown client_id),
    invalid_client_secret, invalid_code (bad/used/expired code, unknown/revoked refresh token, or
    one issued to another client), invalid_redirect_uri [inf], unsupported_grant_type [inf],
    invalid_request for missing params [inf].
  - Throttle: more than {refresh_limit_per_10min}=10 access tokens from one refresh token in 10
    minutes -> 400 {"error":"Access Denied","error_description":"You have made too many
    requests continuously. Please try again after some time.","status":"failure"} [doc limit,
    3p body].
  - POST /oauth/v2/token/revoke?token=.. (also form body; also /oauth/v2/revoke/token) ->
    {"status":"success"} [doc]; unknown token -> 400 [doc] with {"status":"failure"} [inf body].
    Revoking a refresh token kills its access tokens [doc] {revoke_kills_access_tokens}=true.
    Access tokens can be revoked too [doc].

CRM REST API v8 (/crm/v8/...)
  - Authorization: Zoho-oauthtoken <token> [src]; missing/unknown/expired/revoked -> 401
    {"code":"INVALID_TOKEN","details":{},"message":"invalid oauth token","status":"error"} [src].
    {enforce_scopes} (default false): a token without a ZohoCRM.* scope -> 401
    OAUTH_SCOPE_MISMATCH [doc code; inf rule].
  - X-CRM-ORG names an org by zgid; unknown zgid -> 400 {"code":"INVALID_ORG",...} on any CRM
    call [inf].  Data is not partitioned by org [inf].
  - GET /crm/v8/org -> {"org":[{id, company_name, zgid, domain_name, primary_email, currency,
    iso_code, currency_symbol, time_zone, country_code, primary_zuid, license_details, ...}]}
    [src crm-oas org.json]; with several {orgs} it answers the X-CRM-ORG one, else the first
    [inf].
  - GET /crm/v8/users?type=ActiveUsers|AllUsers|CurrentUser|AdminUsers|...&page&per_page ->
    {"users":[{id,email,full_name,first_name,last_name,status:"active",zuid,role{name,id},
    profile{name,id},confirm}],"info":{per_page,count,page,more_records}} [doc][src];
    204 when empty [src]; per_page max 200 [doc].  GET /crm/v8/users/{id} [src].
    The token's user is the admin zoho.admin@example.com "Zoho Admin" [inf].
  - GET /crm/v8/settings/fields?module=X -> {"fields":[{api_name, field_label, display_label,
    data_type, system_mandatory, read_only, field_read_only, custom_field, id, json_type,
    length, pick_list_values:[{display_value, actual_value, id, sequence_number, type,
    colour_code}], lookup:{module:{api_name,id}}}]} [src crm-oas fields.json]; module missing ->
    400 REQUIRED_PARAM_MISSING, unknown -> 400 INVALID_MODULE [inf].
  - Modules Leads, Contacts, Accounts, Deals, Cases, Tasks, Notes with the standard fields of the
    brief; mandatory Leads Last_Name+Company, Contacts Last_Name, Accounts Account_Name, Deals
    Deal_Name+Stage+Closing_Date, Cases Subject+Status+Case_Origin, Tasks Subject, Notes
    Note_Content+Parent_Id [doc]; standard Deal stages [doc]; every record has read-only id,
    Created_Time, Modified_Time, Created_By, Modified_By [doc].  Module names match
    case-insensitively [inf].  Unknown module -> 400 INVALID_MODULE [doc].
  - Insert POST /crm/v8/{Module} {"data":[..],"trigger":[..]}: > 100 items -> 400 with a
    LIMIT_EXCEEDED item in data[] [doc/src]; per item MANDATORY_NOT_FOUND / INVALID_DATA /
    DUPLICATE_DATA with details {api_name, json_path:"$.data[i].Field"} [src]; DUPLICATE_DATA
    details.duplicate_record {id, Owner{name,id,email}, module{api_name,id}} [src].
    Status 201 all ok, 207 mixed, 400 all failed [src].  Success items {"code":"SUCCESS",
    "details":{"Modified_Time","Modified_By":{name,id},"Created_Time","id","Created_By":{name,id}},
    "message":"record added","status":"success"} [doc].  Owner defaults to the token's user
    [doc]; lookups are stored as {"id","name"} (name = target's display name) [src].
    Values: pick list value must be in the list; lookup / Owner ids must exist; currency,
    double, integer fields need JSON numbers; date YYYY-MM-DD; datetime ISO-8601 with offset;
    email must look like one; text <= 255 chars, textarea <= 32000 [inf]; Tasks What_Id needs
    $se_module naming the module holding it [doc shape, inf strictness].  Unknown field names
    are ignored unless {strict_fields} -> INVALID_DATA [inf].  Read-only fields are ignored
    [inf].  {unique_fields} e.g. {"Contacts":["Email"]} -> DUPLICATE_DATA (case-insensitive) [inf].
    Malformed body -> 400 {"code":"INVALID_DATA",..,"message":"body"} [inf].
  - Update PUT /crm/v8/{Module}/{id} and bulk PUT /crm/v8/{Module} (id in each item): 200
    "record updated" [doc]; 207/400 as insert; unknown id -> INVALID_DATA {api_name:"id",
    json_path:"$.data[i].id"} "the id given seems to be invalid" [src/3p]; missing id in bulk ->
    MANDATORY_NOT_FOUND api_name "id" [inf]; same value checks; Modified_Time bumped,
    Modified_By = token's user [doc].
  - Modified_Time strictly increases on every change of a record (at least +1 s), so a
    Modified_Time comparison always sees an edit [inf].
  - DELETE /crm/v8/{Module}/{id} or ?ids=a,b -> 200 "record deleted" items [src].
  - Get GET /crm/v8/{Module}/{id} -> {"data":[record]} (every field, unset ones null) [doc];
    If-Modified-Since (ISO-8601 or HTTP date) -> 304 when not modified since [doc]; unknown id ->
    {get_unknown_id_status}=204 (400 gives INVALID_DATA) [inf].
  - List GET /crm/v8/{Module}?fields=.. (required -> 400 REQUIRED_PARAM_MISSING [doc]),
    page, per_page <= 200 (else 400 INVALID_DATA [inf]), page_token, sort_by
    Modified_Time|Created_Time|id, sort_order asc|desc (default id desc [inf]) ->
    {"data":[asked fields + id],"info":{per_page,count,page,sort_by,sort_order,more_records,
    next_page_token,previous_page_token,page_token_expiry}} [doc][src]; page*per_page > 2000
    without page_token -> 400 DISCRETE_PAGINATION_LIMIT_EXCEEDED [inf]; 204 empty body when no
    rows [doc]; If-Modified-Since keeps only records modified since, and answers
    {list_not_modified_status}=304 when records exist but none changed [inf].
    {if_modified_since_inclusive}=true: a record modified in the very second named counts as
    modified [inf].
  - Search GET /crm/v8/{Module}/search?criteria=.. | email= | phone= | word= [doc]: criteria
    "(Field:op:value)" joined by and/or with parentheses, backslash escapes of ( ) , \\ [doc];
    ops equals, not_equal, starts_with, in, greater_than, greater_equal, less_than, less_equal,
    between [doc]; unescaped commas give several values (any matches) [doc]; more than 10
    conditions -> 400 LIMIT_REACHED [doc limit, inf code]; bad criteria -> 400 INVALID_QUERY
    "invalid query formed" [src message]; text/email equality case-insensitive [inf]; lookup and
    Owner fields compare by id or name [inf]; phone= compares digits only [inf]; word= is a
    case-insensitive substring over text fields [inf].  204 empty body on no match, also for
    records created less than {index_lag_secs}=0 seconds ago [doc].  No parameter -> 400
    EXPECTED_PARAM_MISSING [doc].  Answer like List (fields optional) [doc].
  - Upsert POST /crm/v8/{Module}/upsert with duplicate_check_fields (default: Leads/Contacts
    Email, Accounts Account_Name, Deals Deal_Name [doc]) -> items with action "insert"|"update"
    and duplicate_field [doc/src]; 200 all ok [inf], 207 mixed, 400 all failed.
  - Notes: POST /crm/v8/Notes with Parent_Id {"module":{"api_name"},"id"} (or Parent_Id id +
    $se_module) -> 201 [doc]; also POST /crm/v8/{Module}/{id}/Notes [src];
    GET /crm/v8/{Module}/{id}/Notes?fields=.. -> list or 204 [doc]; fields required there
    [inf, as List].
  - Attachments: POST /crm/v8/{Module}/{id}/Attachments multipart part "file" (or
    attachmentUrl) -> 200 {"data":[{"code":"SUCCESS","details":{id,Created_Time,Modified_Time,
    Created_By,Modified_By},"message":"attachment uploaded successfully","status":"success"}]}
    [doc][src]; over {attachment_max_bytes}=20 MiB -> 413 FILE_SIZE_MORE_THAN_ALLOWED_SIZE [doc];
    GET ..?fields=id,File_Name,Size,Created_Time -> list (Size is a string [src]) or 204;
    fields required {attachments_fields_required}=true [inf]; GET ../Attachments/{id} -> the
    bytes (204 unknown [src]); DELETE -> 200 "record deleted" item [doc].  Bytes kept on disk in
    the state dir with their sha256 [inf].
  - Unknown paths -> 404 INVALID_URL_PATTERN [doc]; wrong method -> 400 INVALID_REQUEST_METHOD
    [src].  Times ISO-8601 with offset (+00:00) [doc]; ids long increasing numeric strings [doc].

WorkDrive (/workdrive/api/v1/..., upload server /workdrive-api/v1/..., download server
/v1/workdrive/download/...)
  - Auth as CRM; failures -> 401 {"errors":[{"id":"F7003","title":"Invalid OAuth token."}]}
    [inf body, configurable {workdrive_auth_error}].  Errors are {"errors":[{"id","title"}]}
    (R501 not found, R502 permission, R503 destination not found, R504 name exists, F000
    validation) [doc/src].
  - {workdrive_require_accept}=true: data APIs (/files...) without Accept:
    application/vnd.api+json -> 415 [doc: "Servers must respond with a 415"].
  - A team folder exists at start (fixed id, GET /_fake/workdrive/teamfolder) [inf].
  - POST /files {"data":{"attributes":{"name","parent_id"},"type":"files"}} -> 201 {"data":
    {"id","type":"files","attributes":{name, type:"folder", is_folder, parent_id, permalink,
    download_url, status, storage_info{size_in_bytes,...}, created/modified times ...},
    "links":{"self"}}} [doc]; name empty or > 200 chars or containing / \\ -> 400 F000 [doc
    limit, inf chars]; unknown parent -> 404 R503 [src]; same name (case-insensitive [inf]) in
    the parent -> 409 R504 [src].
  - GET /files/{id} [src]; GET /files/{id}/files|folders?page[limit]&page[offset] [doc][src]
    -> {"data":[..],"links":{"cursor":{"has_next","next"}},"meta":{..}} [3p rclone]; limit
    default 50, clamped to 200 [inf].  Unknown -> 404 R501.
  - PATCH /files/{id} attributes.status "51" trash, "61" delete for good, "1" restore,
    attributes.name rename, attributes.parent_id move (R509 if already there [src n8n]) -> 200
    {"data": file} [src n8n].
  - POST /upload multipart content, filename (URL-encoded), parent_id, override-name-exist --
    the last three as parts or query [doc][3p]; the content part streams to disk with sha256
    and md5; 200 {"data":[{"attributes":{"resource_id","parent_id","FileName","Permalink",
    "File INFO":"<json string with RESOURCE_ID, PARENT_ID, MD5_CHECKSUM, size, ...>"},
    "type":"files"}]} [doc][3p rclone]; missing content -> 400 [doc]; unknown parent -> 401
    [doc: "Parent folder not belong to the user"]; same name without override -> 409 R504 [doc]
    ({workdrive_upload_conflict}="409"; "rename" keeps both [src n8n]); override-name-exist=true
    replaces the content, keeping the resource id [doc]; over {workdrive_upload_max_bytes}=250 MiB
    -> 413 [doc]; over {workdrive_quota_bytes} (unlimited by default; all stored WorkDrive bytes
    count) -> 507 [doc].
  - Chunked upload sessions ("Chunk Upload" [doc]):
      POST /workdrive/api/v1/uploadsession/create  (parent_id, file_name, size, name_conflict
           fail|update|rename -- query or JSON:API attributes)  [doc: create session page; the
           params are from [3p] clients]
      POST /workdrive/api/v1/uploadsession/{resource_id}/create?size=  (revision) [doc]
      POST /workdrive-api/v1/stream/upload  headers upload-id, Content-Range "bytes s-e/total",
           body the chunk bytes (upload server)  [doc: "Large File Upload as Chunks"; URL 3p]
           (also accepted at /workdrive/api/v1/uploadsession/upload [inf])
      POST /workdrive/api/v1/uploadsession/commit?upload_id=  [doc]
      POST /workdrive/api/v1/uploadsession/{resource_id}/commit?upload_id=  (revision) [doc]
      GET  /workdrive/api/v1/uploadsession?upload_id=  (progress) [doc]
    Session answer {"data":{"id","type":"uploadsession","attributes":{upload_id, chunk_size,
    total_chunks, chunks_uploaded, remaining_chunks, bytes_received, next_chunk
    ("bytes s-e/total"), file_size, file_name, parent_id, status, expiry_time}}} [doc field
    names; shape inf].  chunk_size = {chunk_size}=64 MiB [doc].  Files below
    {chunk_min_file_bytes}=1 GiB are refused with 400 "Allowed minimum file size is
    1073741824 Bytes" [doc: "only for files greater than 1 GB"; message 3p].  Name clash at
    create/commit -> 409, quota -> 507 [doc].  Each chunk: unknown upload id -> 400 D9232; wrong
    Content-Range or chunk order or Content-Length != chunk size (only the last chunk may be
    shorter) -> 400 D9233; session older than {upload_session_ttl_secs}=86400 -> 400 D9234;
    session already committed -> 412 [doc] (its error id, like the 412 "chunks are yet to be
    uploaded" id at commit, is [inf]: D9235/D9236).  Chunks stream to disk with a running sha256.
    Commit: unknown id -> 404 [doc], expired -> 400 [doc], already committed or chunks missing ->
    412 [doc]; revision resource id mismatch -> 401 [doc]; answers {"data":{file, attributes
    also carry resource_id}} [doc "file's meta data"; shape inf].
  - The stream-mode upload (same upload-server URL with x-filename, x-parent_id, upload-id,
    x-streammode headers and no chunk session) stores the whole body as a file and answers
    {"data":[{"attributes":{"parent_id","file_name","resource_id","file_info"}}],
    "status":"success"} [doc page; 3p rclone for the shape].
  - Download GET /v1/workdrive/download/{resource_id} (download server) [doc] (also
    /workdrive/api/v1/download/{id} and /api/v1/download/{id} [3p]) streams the bytes with
    Content-Type by extension, Content-Disposition, Content-Length; a single Range "bytes=" ->
    206 with Content-Range, unsatisfiable -> 416 [inf]; unknown -> 404 R501 [inf]; folder ->
    400 F000 [inf].
  - rate_limit_next and fail_next also apply to WorkDrive [inf].
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import hashlib
import html
import json
import mimetypes
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1024 * 1024

DEFAULT_CONFIG = {
    "token_lifetime_secs": 3600,
    "legacy_expires": False,
    "code_lifetime_secs": 120,
    "index_lag_secs": 0,
    "rate_limit_next": 0,
    "fail_next": [],
    "delay_ms": 0,
    "concurrency_limit": None,
    "unique_fields": {},
    "attachment_max_bytes": 20 * MiB,
    "attachments_fields_required": True,
    "workdrive_upload_max_bytes": 250 * MiB,
    "workdrive_quota_bytes": None,
    "workdrive_upload_conflict": "409",
    "workdrive_require_accept": True,
    "workdrive_auth_error": {"id": "F7003", "title": "Invalid OAuth token."},
    "chunk_size": 64 * MiB,
    "chunk_min_file_bytes": 1024 * MiB,
    "upload_session_ttl_secs": 86400,
    "refresh_limit_per_10min": 10,
    "revoke_kills_access_tokens": True,
    "orgs": None,
    "strict_fields": False,
    "get_unknown_id_status": 204,
    "list_not_modified_status": 304,
    "if_modified_since_inclusive": True,
    "enforce_scopes": False,
    "redirect_uris": None,
    "client_name": "dealchat",
}

ADMIN = {
    "id": "5725767000000411001",
    "email": "zoho.admin@example.com",
    "full_name": "Zoho Admin",
    "first_name": "Zoho",
    "last_name": "Admin",
    "zuid": "801000001",
    "role": {"name": "CEO", "id": "5725767000000026005"},
    "profile": {"name": "Administrator", "id": "5725767000000026011"},
}
EDITOR = {
    "id": "5725767000000411003",
    "email": "zoho.editor@example.com",
    "full_name": "Zoho Editor",
    "first_name": "Zoho",
    "last_name": "Editor",
    "zuid": "801000002",
    "role": {"name": "Manager", "id": "5725767000000026007"},
    "profile": {"name": "Standard", "id": "5725767000000026014"},
}

DEFAULT_ORG = {
    "id": "5725767000000302001",
    "company_name": "Fake Deals Inc",
    "alias": None,
    "zgid": "60012345678",
    "domain_name": "org60012345678",
    "primary_email": "zoho.admin@example.com",
    "primary_zuid": "801000001",
    "currency": "US Dollar",
    "iso_code": "USD",
    "currency_symbol": "$",
    "currency_locale": "en_US",
    "time_zone": "Etc/UTC",
    "country": "United States",
    "country_code": "US",
    "city": None,
    "street": None,
    "state": None,
    "zip": None,
    "phone": None,
    "mobile": None,
    "fax": None,
    "website": None,
    "description": None,
    "employee_count": "10",
    "photo_id": None,
    "mc_status": False,
    "gapps_enabled": False,
    "translation_enabled": False,
    "privacy_settings": False,
    "hipaa_compliance_enabled": False,
    "lite_users_enabled": False,
    "deletable_org_account": False,
    "max_per_page": 200,
    "type": "Production",
    "license_details": {
        "paid_expiry": None,
        "users_license_purchased": 10,
        "trial_type": None,
        "trial_expiry": None,
        "paid": True,
        "paid_type": "enterprise",
    },
}

DEAL_STAGES = [
    "Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
    "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost",
    "Closed Lost to Competition",
]

MODULE_IDS = {
    "Leads": "5725767000000002175",
    "Contacts": "5725767000000002179",
    "Accounts": "5725767000000002177",
    "Deals": "5725767000000002181",
    "Tasks": "5725767000000002193",
    "Cases": "5725767000000002187",
    "Notes": "5725767000000002197",
}

DEFAULT_DUP_FIELDS = {"Leads": ["Email"], "Contacts": ["Email"], "Accounts": ["Account_Name"],
                      "Deals": ["Deal_Name"]}

DISPLAY_FIELD = {"Accounts": "Account_Name", "Deals": "Deal_Name", "Cases": "Subject",
                 "Tasks": "Subject", "Notes": "Note_Title"}

NUMERIC_TYPES = {"currency", "double", "decimal", "integer", "bigint", "percent", "long"}
TEXT_TYPES = {"text", "textarea", "email", "phone", "website", "autonumber"}


def _field(api, label, dtype, mandatory=False, picklist=None, lookup=None, read_only=False,
           length=None):
    if length is None:
        length = {"textarea": 32000, "email": 100, "phone": 30, "website": 255}.get(dtype, 255)
    return {"api_name": api, "field_label": label, "data_type": dtype, "mandatory": mandatory,
            "picklist": list(picklist) if picklist is not None else None, "lookup": lookup,
            "read_only": read_only, "custom": False, "length": length}


def _standard_fields():
    owner = lambda: _field("Owner", "Owner", "ownerlookup")  # noqa: E731
    descr = lambda: _field("Description", "Description", "textarea")  # noqa: E731
    mods = {
        "Leads": [
            owner(), _field("First_Name", "First Name", "text", length=40),
            _field("Last_Name", "Last Name", "text", mandatory=True, length=80),
            _field("Full_Name", "Full Name", "text", read_only=True),
            _field("Company", "Company", "text", mandatory=True, length=200),
            _field("Email", "Email", "email"), _field("Phone", "Phone", "phone"),
            _field("Mobile", "Mobile", "phone"),
            _field("Lead_Source", "Lead Source", "picklist", picklist=[
                "-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral",
                "Online Store", "Partner", "Public Relations", "Sales Email Alias",
                "Seminar Partner", "Internal Seminar", "Trade Show", "Web Download",
                "Web Research", "Chat"]),
            _field("Lead_Status", "Lead Status", "picklist", picklist=[
                "-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead",
                "Lost Lead", "Not Contacted", "Pre-Qualified", "Not Qualified"]),
            descr(),
        ],
        "Contacts": [
            owner(), _field("First_Name", "First Name", "text", length=40),
            _field("Last_Name", "Last Name", "text", mandatory=True, length=80),
            _field("Full_Name", "Full Name", "text", read_only=True),
            _field("Email", "Email", "email"), _field("Phone", "Phone", "phone"),
            _field("Mobile", "Mobile", "phone"),
            _field("Account_Name", "Account Name", "lookup", lookup="Accounts"),
            descr(),
        ],
        "Accounts": [
            owner(), _field("Account_Name", "Account Name", "text", mandatory=True, length=200),
            _field("Phone", "Phone", "phone"), _field("Website", "Website", "website"),
            descr(),
        ],
        "Deals": [
            owner(), _field("Deal_Name", "Deal Name", "text", mandatory=True, length=120),
            _field("Stage", "Stage", "picklist", mandatory=True, picklist=DEAL_STAGES),
            _field("Closing_Date", "Closing Date", "date", mandatory=True),
            _field("Amount", "Amount", "currency"),
            _field("Contact_Name", "Contact Name", "lookup", lookup="Contacts"),
            _field("Account_Name", "Account Name", "lookup", lookup="Accounts"),
            descr(),
        ],
        "Cases": [
            owner(), _field("Subject", "Subject", "text", mandatory=True),
            _field("Status", "Status", "picklist", mandatory=True,
                   picklist=["New", "On Hold", "Escalated", "Closed"]),
            _field("Case_Origin", "Case Origin", "picklist", mandatory=True,
                   picklist=["Email", "Phone", "Web", "Chat"]),
            _field("Priority", "Priority", "picklist", picklist=["-None-", "High", "Medium", "Low"]),
            _field("Email", "Email", "email"), _field("Phone", "Phone", "phone"),
            descr(),
            _field("Related_To", "Related To", "lookup", lookup="Contacts"),
            _field("Deal_Name", "Deal Name", "lookup", lookup="Deals"),
        ],
        "Tasks": [
            owner(), _field("Subject", "Subject", "text", mandatory=True),
            _field("Due_Date", "Due Date", "date"),
            _field("Status", "Status", "picklist",
                   picklist=["Not Started", "In Progress", "Completed"]),
            _field("Priority", "Priority", "picklist",
                   picklist=["Highest", "High", "Normal", "Low", "Lowest"]),
            descr(),
            _field("What_Id", "Related To", "lookup", lookup="$se_module"),
            _field("Who_Id", "Contact Name", "lookup", lookup=["Contacts", "Leads"]),
        ],
        "Notes": [
            owner(), _field("Note_Title", "Note Title", "text"),
            _field("Note_Content", "Note Content", "textarea", mandatory=True),
            _field("Parent_Id", "Parent ID", "lookup", mandatory=True, lookup="*"),
        ],
    }
    for fields in mods.values():
        fields.extend([
            _field("Created_By", "Created By", "ownerlookup", read_only=True),
            _field("Modified_By", "Modified By", "ownerlookup", read_only=True),
            _field("Created_Time", "Created Time", "datetime", read_only=True),
            _field("Modified_Time", "Modified Time", "datetime", read_only=True),
            _field("id", "Record Id", "bigint", read_only=True),
        ])
    return mods


# ---------------------------------------------------------------------------------------------
# small helpers

def now_ts() -> float:
    return time.time()


def iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).isoformat()


def parse_time_header(value: str):
    """ISO-8601 (Zoho's documented form) or an HTTP date; None when unparseable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        v = value.replace("Z", "+00:00")
        d = dt.datetime.fromisoformat(v)
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.timezone.utc)
        return d.timestamp()
    except ValueError:
        pass
    try:
        d = email.utils.parsedate_to_datetime(value)
        if d.tzinfo is None:
            d = d.replace(tzinfo=dt.timezone.utc)
        return d.timestamp()
    except (TypeError, ValueError):
        return None


def wd_id() -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(37))


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024.0
        if n < 1024:
            return f"{n:.1f} {unit}"
    return f"{n:.1f} PB"


def crm_error(code, message, details=None):
    return {"code": code, "details": details or {}, "message": message, "status": "error"}


def wd_errors(eid, title):
    return {"errors": [{"id": eid, "title": title}]}


# ---------------------------------------------------------------------------------------------
# request bodies: streamed to disk, never held in memory when large

class BodyReader:
    """Reads a request body framed by Content-Length or chunked transfer encoding."""

    def __init__(self, rfile, length=0, chunked=False):
        self.rfile = rfile
        self.remaining = length
        self.chunked = chunked
        self.chunk_left = 0
        self.done = not chunked and length <= 0

    def read(self, n=65536) -> bytes:
        if self.done:
            return b""
        if not self.chunked:
            data = self.rfile.read(min(n, self.remaining))
            if not data:
                self.done = True
                return b""
            self.remaining -= len(data)
            if self.remaining <= 0:
                self.done = True
            return data
        if self.chunk_left == 0:
            line = self.rfile.readline(65537)
            if not line:
                self.done = True
                return b""
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers
                    t = self.rfile.readline(65537)
                    if not t or t in (b"\r\n", b"\n"):
                        break
                self.done = True
                return b""
            self.chunk_left = size
        data = self.rfile.read(min(n, self.chunk_left))
        if not data:
            self.done = True
            return b""
        self.chunk_left -= len(data)
        if self.chunk_left == 0:
            self.rfile.readline(3)  # CRLF after the chunk
        return data


class HashingWriter:
    def __init__(self, path):
        self.path = path
        self.f = open(path, "wb")
        self.sha = hashlib.sha256()
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data):
        if data:
            self.f.write(data)
            self.sha.update(data)
            self.md5.update(data)
            self.size += len(data)

    def close(self):
        self.f.close()


class Part:
    def __init__(self, name, filename, content_type, path, size, sha256, md5):
        self.name = name
        self.filename = filename
        self.content_type = content_type
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.md5 = md5
        self.value = None


class Body:
    def __init__(self):
        self.size = 0
        self.json = None
        self.json_error = False
        self.form = None
        self.parts = None
        self.raw_path = None
        self.raw_sha256 = None
        self.raw_md5 = None
        self.tmpfiles = []

    def part(self, name):
        for p in self.parts or []:
            if p.name == name:
                return p
        return None

    def file_part(self, name):
        for p in self.parts or []:
            if p.name == name and (p.filename is not None or p.value is None):
                return p
        return None

    def cleanup(self):
        for p in self.tmpfiles:
            try:
                os.unlink(p)
            except OSError:
                pass
        self.tmpfiles = []


_PARAM_RE = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def header_params(value: str):
    main = value.split(";", 1)[0].strip().lower()
    params = {}
    for k, v in _PARAM_RE.findall(value):
        v = v.strip()
        if v.startswith('"') and v.endswith('"'):
            v = re.sub(r'\\(.)', r'\1', v[1:-1])
        params[k.lower()] = v
    return main, params


def consume_body(handler, tmpdir) -> Body:
    body = Body()
    te = (handler.headers.get("Transfer-Encoding") or "").lower()
    chunked = "chunked" in te
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError:
        length = 0
    reader = BodyReader(handler.rfile, length, chunked)
    if reader.done:
        return body
    ctype_raw = handler.headers.get("Content-Type") or ""
    ctype, params = header_params(ctype_raw)
    small = (not chunked) and length <= 32 * MiB
    if small and (ctype.endswith("/json") or ctype.endswith("+json")):
        data = _read_all(reader)
        body.size = len(data)
        if data.strip():
            try:
                body.json = json.loads(data.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                body.json_error = True
        return body
    if small and ctype == "application/x-www-form-urlencoded":
        data = _read_all(reader)
        body.size = len(data)
        body.form = {}
        for k, v in urllib.parse.parse_qsl(data.decode("utf-8", "replace"), keep_blank_values=True):
            body.form[k] = v
        return body
    if ctype == "multipart/form-data" and params.get("boundary"):
        parse_multipart(reader, params["boundary"].encode("latin-1"), tmpdir, body)
        return body
    fd, path = tempfile.mkstemp(dir=tmpdir, prefix="raw-")
    os.close(fd)
    body.tmpfiles.append(path)
    w = HashingWriter(path)
    try:
        while True:
            data = reader.read(256 * 1024)
            if not data:
                break
            w.write(data)
    finally:
        w.close()
    body.size = w.size
    body.raw_path = path
    body.raw_sha256 = w.sha.hexdigest()
    body.raw_md5 = w.md5.hexdigest()
    if w.size <= MiB and (ctype.endswith("json")):
        try:
            with open(path, "rb") as f:
                body.json = json.loads(f.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            body.json_error = True
    return body


def _read_all(reader) -> bytes:
    chunks = []
    while True:
        d = reader.read(256 * 1024)
        if not d:
            break
        chunks.append(d)
    return b"".join(chunks)


def parse_multipart(reader, boundary: bytes, tmpdir, body: Body):
    """Streaming multipart/form-data parser: parts go to temp files with sha256 and md5."""
    delim = b"--" + boundary
    sep = b"\r\n" + delim
    buf = b""
    eof = False
    total = 0

    def fill():
        nonlocal buf, eof, total
        if eof:
            return False
        d = reader.read(256 * 1024)
        if not d:
            eof = True
            return False
        total += len(d)
        buf += d
        return True

    body.parts = []
    body.form = {}
    # preamble up to the first delimiter
    while True:
        i = buf.find(delim)
        if i >= 0:
            buf = buf[i + len(delim):]
            break
        if len(buf) > len(delim):
            buf = buf[-len(delim):]
        if not fill():
            body.size = total
            return
    while True:
        while len(buf) < 2 and fill():
            pass
        if buf.startswith(b"--") or not buf:
            break
        while b"\r\n" not in buf and fill():
            pass
        j = buf.find(b"\r\n")
        if j < 0:
            break
        buf = buf[j + 2:]
        while b"\r\n\r\n" not in buf:
            if len(buf) > 256 * 1024 or not fill():
                break
        k = buf.find(b"\r\n\r\n")
        if k < 0:
            break
        raw_headers = buf[:k].decode("utf-8", "replace")
        buf = buf[k + 4:]
        name, filename, ctype = None, None, None
        for line in raw_headers.split("\r\n"):
            if ":" not in line:
                continue
            hk, hv = line.split(":", 1)
            hk = hk.strip().lower()
            if hk == "content-disposition":
                _, ps = header_params(hv)
                name = ps.get("name")
                if "filename*" in ps:
                    fv = ps["filename*"]
                    if "''" in fv:
                        fv = fv.split("''", 1)[1]
                    filename = urllib.parse.unquote(fv)
                elif "filename" in ps:
                    filename = ps["filename"]
            elif hk == "content-type":
                ctype = hv.strip()
        fd, path = tempfile.mkstemp(dir=tmpdir, prefix="part-")
        os.close(fd)
        body.tmpfiles.append(path)
        w = HashingWriter(path)
        finished = False
        while True:
            i = buf.find(sep)
            if i >= 0:
                w.write(buf[:i])
                buf = buf[i + len(sep):]
                finished = True
                break
            safe = len(buf) - (len(sep) - 1)
            if safe > 0:
                w.write(buf[:safe])
                buf = buf[safe:]
            if not fill():
                w.write(buf)
                buf = b""
                break
        w.close()
        part = Part(name, filename, ctype, path, w.size, w.sha.hexdigest(), w.md5.hexdigest())
        if filename is None and w.size <= MiB:
            with open(path, "rb") as f:
                part.value = f.read().decode("utf-8", "replace")
            if name is not None:
                body.form[name] = part.value
        body.parts.append(part)
        if not finished:
            break
    # drain the epilogue
    while fill():
        buf = b""
    body.size = total


# ---------------------------------------------------------------------------------------------
# state

class FakeState:
    def __init__(self, base, state_dir, client_id, client_secret):
        self.lock = threading.RLock()
        self.base = base
        self.state_dir = state_dir
        self.tmpdir = os.path.join(state_dir, "tmp")
        self.att_dir = os.path.join(state_dir, "attachments")
        self.wd_dir = os.path.join(state_dir, "workdrive")
        self.sess_dir = os.path.join(state_dir, "sessions")
        for d in (self.tmpdir, self.att_dir, self.wd_dir, self.sess_dir):
            os.makedirs(d, exist_ok=True)
        self.config = json.loads(json.dumps(DEFAULT_CONFIG))
        self.clients = {client_id: client_secret}
        self.requests = []
        self.seq = 0
        self.codes = {}
        self.refresh_tokens = {}
        self.access_tokens = {}
        self.users = [dict(ADMIN, status="active")]
        self.hidden_users = [dict(EDITOR, status="active")]
        self.fields = _standard_fields()
        self.records = {m: {} for m in self.fields}
        self.attachments = {}  # id -> attachment
        self.id_counter = 5725767000000524157
        self.in_flight_crm = 0
        self.max_concurrent_crm = 0
        self.page_tokens = {}
        self.wd_files = {}
        self.sessions = {}
        self.teamfolder_id = "wd0teamfolder0fake00000000000000000001"
        t = now_ts()
        self.wd_files[self.teamfolder_id] = {
            "id": self.teamfolder_id, "name": "Deals", "parent_id": None, "is_folder": True,
            "size": 0, "sha256": None, "md5": None, "status": "1", "path": None,
            "ctime": t, "mtime": t, "teamfolder": True,
        }

    # ids and users
    def next_id(self) -> str:
        self.id_counter += 2
        return str(self.id_counter)

    def find_user(self, uid):
        for u in self.users + self.hidden_users:
            if u["id"] == str(uid):
                return u
        return None

    # orgs
    def orgs(self):
        cfg = self.config.get("orgs")
        if not cfg:
            return [dict(DEFAULT_ORG)]
        out = []
        for i, o in enumerate(cfg):
            org = dict(DEFAULT_ORG)
            org["id"] = str(5725767000000302001 + 2 * i)
            org["zgid"] = str(60012345678 + i)
            org["domain_name"] = "org" + org["zgid"]
            org.update(o or {})
            out.append(org)
        return out

    # WorkDrive bytes in use (deleted files excluded)
    def wd_bytes(self):
        return sum(f["size"] for f in self.wd_files.values() if not f["is_folder"])


STATE: FakeState = None  # set in main()


# ---------------------------------------------------------------------------------------------
# the handler

LOGGED_HEADERS = ("authorization", "content-type", "accept", "x-crm-org", "if-modified-since",
                  "content-range", "upload-id", "range", "content-length", "transfer-encoding")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ZohoFake/1.0"
    verbose = False

    def log_message(self, fmt, *args):  # noqa: D401
        if self.verbose:
            sys.stderr.write("zoho_fake: " + (fmt % args) + "\n")

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    # ---- plumbing

    def dispatch(self):
        st = STATE
        parsed = urllib.parse.urlsplit(self.path)
        self.req_path = parsed.path
        self.qs = {}
        self.qs_multi = {}
        for k, v in urllib.parse.parse_qsl(parsed.query, keep_blank_values=True):
            self.qs_multi.setdefault(k, []).append(v)
            self.qs[k] = v
        self.rec = None
        self.body = Body()
        self.responded = False
        try:
            if self.req_path.startswith("/_fake/"):
                self.body = consume_body(self, st.tmpdir)
                self.control()
                return
            rec = {
                "seq": None, "method": self.command, "path": self.req_path,
                "query": {k: (v[0] if len(v) == 1 else v) for k, v in self.qs_multi.items()},
                "headers": self._logged_headers(), "json": None, "form": None, "parts": None,
                "body_size": 0, "status": None, "time": iso(now_ts()),
            }
            with st.lock:
                st.seq += 1
                rec["seq"] = st.seq
                st.requests.append(rec)
            self.rec = rec
            self.body = consume_body(self, st.tmpdir)
            with st.lock:
                rec["json"] = self.body.json
                rec["form"] = self.body.form
                if self.body.parts is not None:
                    rec["parts"] = [{"name": p.name, "filename": p.filename, "size": p.size,
                                     "sha256": p.sha256} for p in self.body.parts]
                rec["body_size"] = self.body.size
            if self.injected_failure():
                return
            self.route()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:  # noqa: BLE001
            traceback.print_exc(file=sys.stderr)
            if not self.responded:
                try:
                    self.send_json(500, crm_error("INTERNAL_ERROR", "Internal server error occurred."))
                except Exception:  # noqa: BLE001
                    self.close_connection = True
        finally:
            self.body.cleanup()
            if not self.responded:
                self.close_connection = True

    def _logged_headers(self):
        out = {}
        for k, v in self.headers.items():
            lk = k.lower()
            if lk in LOGGED_HEADERS or lk.startswith("x-"):
                out[lk] = v
        return out

    def _set_status(self, status):
        if self.rec is not None:
            with STATE.lock:
                self.rec["status"] = status

    def send_bytes(self, status, data: bytes, ctype="application/json;charset=UTF-8", headers=None):
        self._set_status(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status in (204, 304):
            self.end_headers()
            self.responded = True
            return
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.responded = True

    def send_json(self, status, obj, headers=None, ctype="application/json;charset=UTF-8"):
        self.send_bytes(status, json.dumps(obj).encode("utf-8"), ctype, headers)

    def send_empty(self, status, headers=None):
        self.send_bytes(status, b"", headers=headers)

    def send_html(self, status, text):
        self.send_bytes(status, text.encode("utf-8"), "text/html;charset=UTF-8")

    def redirect(self, location):
        self.send_bytes(302, b"", "text/plain", {"Location": location})

    def send_file(self, path, size, filename, extra_status_ok=200):
        ctype = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        start, end = 0, size - 1
        status = 200
        headers = {"Accept-Ranges": "bytes",
                   "Content-Disposition": "attachment; filename*=UTF-8''"
                                          + urllib.parse.quote(filename or "file")}
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng)
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else size - 1
                else:
                    n = int(m.group(2))
                    start = max(0, size - n)
                end = min(end, size - 1)
                if start >= size or start > end:
                    self.send_bytes(416, b"", "text/plain", {"Content-Range": f"bytes */{size}"})
                    return
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        length = max(0, end - start + 1) if size else 0
        self._set_status(status)
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.responded = True
        if self.command == "HEAD" or length == 0:
            return
        with open(path, "rb") as f:
            f.seek(start)
            left = length
            while left > 0:
                d = f.read(min(256 * 1024, left))
                if not d:
                    break
                self.wfile.write(d)
                left -= len(d)

    # ---- fail_next / rate limits

    def injected_failure(self) -> bool:
        st = STATE
        with st.lock:
            entries = st.config.get("fail_next") or []
            hit = None
            for i, e in enumerate(entries):
                if self.req_path.startswith(e.get("path_prefix", "")):
                    hit = entries.pop(i)
                    break
        if hit is None:
            return False
        status = int(hit.get("status", 500))
        headers = hit.get("headers") or {}
        if "body" in hit and hit["body"] is not None:
            b = hit["body"]
            if isinstance(b, (dict, list)):
                self.send_json(status, b, headers)
            else:
                self.send_bytes(status, str(b).encode("utf-8"), "text/plain;charset=UTF-8", headers)
        elif self.req_path.startswith("/crm/"):
            self.send_json(status, crm_error("INTERNAL_ERROR", "Internal server error occurred."),
                           headers)
        elif self.req_path.startswith("/oauth/"):
            self.send_json(status, {"error": "internal_error"}, headers)
        else:
            self.send_json(status, wd_errors("V001", "Internal Server Error"), headers)
        return True

    def take_rate_limit(self) -> bool:
        st = STATE
        with st.lock:
            n = int(st.config.get("rate_limit_next") or 0)
            if n > 0:
                st.config["rate_limit_next"] = n - 1
                return True
        return False

    # ---- auth

    def bearer(self):
        h = self.headers.get("Authorization") or ""
        m = re.match(r"\s*Zoho-oauthtoken\s+(\S+)\s*$", h, re.I)
        return m.group(1) if m else None

    def token_ok(self, scope_prefixes=None):
        st = STATE
        tok = self.bearer()
        if not tok:
            return None
        with st.lock:
            at = st.access_tokens.get(tok)
            if not at or at["revoked"] or at["expires_at"] <= now_ts():
                return None
            rt = st.refresh_tokens.get(at.get("refresh_token") or "")
            if rt and rt["revoked"] and st.config.get("revoke_kills_access_tokens", True):
                return None
            if st.config.get("enforce_scopes") and scope_prefixes:
                scopes = re.split(r"[ ,]+", at.get("scope") or "")
                if not any(s.startswith(p) for s in scopes for p in scope_prefixes):
                    return "scope"
            return at

    # ---- routing

    def route(self):
        p = self.req_path
        if p.startswith("/oauth/"):
            return self.accounts()
        if p.startswith("/crm/"):
            return self.crm()
        if (p.startswith("/workdrive/") or p.startswith("/workdrive-api/")
                or p.startswith("/v1/workdrive/") or p.startswith("/api/v1/download/")):
            return self.workdrive()
        self.send_json(404, {"error": "not found", "path": p})

    # =========================================================================================
    # control API

    def control(self):
        st = STATE
        parts = [urllib.parse.unquote(x) for x in self.req_path.split("/")[2:] if x]
        m = self.command
        j = self.body.json if isinstance(self.body.json, (dict, list)) else {}
        if parts == ["requests"]:
            if m == "GET":
                with st.lock:
                    data = json.loads(json.dumps(st.requests))
                return self.send_json(200, data)
            if m == "DELETE":
                with st.lock:
                    st.requests.clear()
                return self.send_json(200, {"status": "ok"})
        if parts == ["config"]:
            if m == "POST":
                with st.lock:
                    for k, v in (j or {}).items():
                        st.config[k] = v
                    return self.send_json(200, st.config)
            if m == "GET":
                with st.lock:
                    return self.send_json(200, st.config)
        if parts == ["state"] and m == "GET":
            with st.lock:
                out = {
                    "tokens": {
                        "codes": [dict(v, code=k) for k, v in st.codes.items()],
                        "access": [dict(v, token=k) for k, v in st.access_tokens.items()],
                        "refresh": [{"token": k, **{kk: vv for kk, vv in v.items()
                                                    if kk != "issued"},
                                     "issued_count": len(v["issued"])}
                                    for k, v in st.refresh_tokens.items()],
                    },
                    "revoked_refresh_tokens": [k for k, v in st.refresh_tokens.items()
                                               if v["revoked"]],
                    "max_concurrent_crm": st.max_concurrent_crm,
                    "in_flight_crm": st.in_flight_crm,
                    "users": st.users,
                    "orgs": st.orgs(),
                    "upload_sessions": [session_attrs(s) for s in st.sessions.values()],
                    "workdrive_bytes": st.wd_bytes(),
                    "config": st.config,
                }
                return self.send_json(200, out)
        if parts == ["users"] and m == "POST":
            email_ = (j or {}).get("email")
            full = (j or {}).get("full_name") or email_
            if not email_:
                return self.send_json(400, {"error": "email required"})
            first, _, last = full.partition(" ")
            with st.lock:
                uid = st.next_id()
                user = {"id": uid, "email": email_, "full_name": full, "first_name": first,
                        "last_name": last or first, "zuid": str(801000100 + len(st.users)),
                        "role": {"name": "Manager", "id": "5725767000000026007"},
                        "profile": {"name": "Standard", "id": "5725767000000026014"},
                        "status": "active"}
                st.users.append(user)
            return self.send_json(200, user)
        if len(parts) >= 2 and parts[0] == "records":
            mod = canon_module(parts[1])
            if not mod:
                return self.send_json(400, {"error": "unknown module"})
            if len(parts) == 2 and m == "POST":
                with st.lock:
                    rec = seed_record(mod, j or {})
                    return self.send_json(200, public_record(mod, rec))
            if len(parts) == 2 and m == "GET":
                with st.lock:
                    out = []
                    for rec in st.records[mod].values():
                        r = public_record(mod, rec)
                        rid = rec["data"]["id"]
                        r["attachments"] = [attachment_public(a) for a in st.attachments.values()
                                            if a["parent_id"] == rid]
                        r["notes"] = [public_record("Notes", n)
                                      for n in st.records["Notes"].values()
                                      if (n["data"].get("Parent_Id") or {}).get("id") == rid]
                        out.append(r)
                return self.send_json(200, out)
            if len(parts) == 3 and m == "PATCH":
                with st.lock:
                    rec = st.records[mod].get(parts[2])
                    if not rec:
                        return self.send_json(404, {"error": "no such record"})
                    for k, v in (j or {}).items():
                        if k in ("id", "Created_Time", "Created_By"):
                            continue
                        rec["data"][k] = resolve_seed_value(mod, k, v)
                    recompute(mod, rec)
                    touch(rec, st.hidden_users[0])
                    return self.send_json(200, public_record(mod, rec))
        if len(parts) >= 2 and parts[0] == "fields":
            mod = canon_module(parts[1])
            if not mod:
                return self.send_json(400, {"error": "unknown module"})
            if len(parts) == 2 and m == "POST":
                api = j.get("api_name")
                if not api:
                    return self.send_json(400, {"error": "api_name required"})
                with st.lock:
                    f = _field(api, j.get("field_label") or api, j.get("data_type") or "text",
                               mandatory=bool(j.get("required")),
                               picklist=j.get("pick_list_values"),
                               lookup=j.get("lookup_module"))
                    f["custom"] = True
                    st.fields[mod] = [x for x in st.fields[mod] if x["api_name"] != api]
                    st.fields[mod].insert(len(st.fields[mod]) - 5, f)
                    return self.send_json(200, field_meta(mod, f, 0))
            if len(parts) == 3 and m in ("PUT", "PATCH"):
                with st.lock:
                    for i, f in enumerate(st.fields[mod]):
                        if f["api_name"] == parts[2]:
                            if "pick_list_values" in j:
                                f["picklist"] = list(j["pick_list_values"])
                            if "required" in j:
                                f["mandatory"] = bool(j["required"])
                            if "field_label" in j:
                                f["field_label"] = j["field_label"]
                            return self.send_json(200, field_meta(mod, f, i))
                return self.send_json(404, {"error": "no such field"})
        if parts == ["revoke_all"] and m == "POST":
            with st.lock:
                for v in st.refresh_tokens.values():
                    v["revoked"] = True
                if st.config.get("revoke_kills_access_tokens", True):
                    for v in st.access_tokens.values():
                        v["revoked"] = True
            return self.send_json(200, {"status": "ok"})
        if parts == ["expire_tokens"] and m == "POST":
            with st.lock:
                t = now_ts() - 1
                for v in st.access_tokens.values():
                    v["expires_at"] = min(v["expires_at"], t)
            return self.send_json(200, {"status": "ok"})
        if parts == ["workdrive", "files"] and m == "GET":
            with st.lock:
                out = [{"id": f["id"], "name": f["name"], "parent_id": f["parent_id"],
                        "is_folder": f["is_folder"], "size": f["size"], "sha256": f["sha256"],
                        "status": f["status"]} for f in st.wd_files.values()]
            return self.send_json(200, out)
        if parts == ["workdrive", "teamfolder"] and m == "GET":
            return self.send_json(200, {"id": st.teamfolder_id})
        self.send_json(404, {"error": "unknown control path", "path": self.req_path})

    # =========================================================================================
    # Accounts

    def accounts(self):
        p = self.req_path.rstrip("/")
        if p == "/oauth/v2/auth" and self.command == "GET":
            return self.consent_page()
        if p == "/oauth/v2/auth/approve" and self.command == "POST":
            return self.consent_decision()
        if p == "/oauth/v2/token" and self.command == "POST":
            return self.token()
        if p in ("/oauth/v2/token/revoke", "/oauth/v2/revoke/token") and self.command == "POST":
            return self.revoke()
        self.send_json(404, {"error": "not found"})

    def _auth_params(self, params):
        st = STATE
        for req in ("client_id", "response_type", "redirect_uri", "scope"):
            if not params.get(req):
                return 400, f"Invalid Request: missing parameter {req}"
        with st.lock:
            if params["client_id"] not in st.clients:
                return 400, "Invalid Client"
            allowed = st.config.get("redirect_uris")
        if params["response_type"] != "code":
            return 400, "Invalid Request: response_type must be code"
        if allowed and params["redirect_uri"] not in allowed:
            return 400, "Invalid Redirect Uri"
        return None, None

    def _error_page(self, status, text):
        t = html.escape(text)
        self.send_html(status, f"<!doctype html><html><head><title>Zoho Accounts</title></head>"
                               f"<body><h1>Zoho Accounts</h1><p class=\"error\">{t}</p></body></html>")

    def consent_page(self):
        params = dict(self.qs)
        status, msg = self._auth_params(params)
        if status:
            return self._error_page(status, msg)
        app = html.escape(STATE.config.get("client_name") or params["client_id"])
        scopes = [s for s in re.split(r"[ ,]+", params["scope"]) if s]
        hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in params.items())
        items = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
        page = (
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>Zoho Accounts</title></head>"
            "<body><h1>Zoho Accounts</h1>"
            f"<p>{app} would like to access your Zoho account</p>"
            f"<ul class=\"scopes\">{items}</ul>"
            "<form method=\"post\" action=\"/oauth/v2/auth/approve\">"
            f"{hidden}"
            "<button type=\"submit\" name=\"decision\" value=\"accept\">Accept</button>"
            "<button type=\"submit\" name=\"decision\" value=\"reject\">Reject</button>"
            "</form></body></html>")
        self.send_html(200, page)

    def consent_decision(self):
        st = STATE
        params = dict(self.qs)
        params.update(self.body.form or {})
        decision = params.pop("decision", "")
        status, msg = self._auth_params(params)
        if status:
            return self._error_page(status, msg)
        redirect_uri = params["redirect_uri"]
        q = {}
        if decision != "accept":
            q["error"] = "access_denied"
            if params.get("state") is not None:
                q["state"] = params["state"]
            return self.redirect(_append_query(redirect_uri, q))
        code = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        with st.lock:
            st.codes[code] = {
                "client_id": params["client_id"], "redirect_uri": redirect_uri,
                "scope": params["scope"], "offline": params.get("access_type") == "offline",
                "expires_at": now_ts() + float(st.config.get("code_lifetime_secs", 120)),
                "used": False,
            }
        if params.get("state") is not None:
            q["state"] = params["state"]
        q["code"] = code
        q["location"] = "us"
        q["accounts-server"] = st.base
        self.redirect(_append_query(redirect_uri, q))

    def token(self):
        st = STATE
        params = dict(self.qs)
        params.update(self.body.form or {})
        gt = params.get("grant_type")
        cid = params.get("client_id")
        secret = params.get("client_secret")
        if gt not in ("authorization_code", "refresh_token"):
            return self.send_json(200, {"error": "unsupported_grant_type"})
        if not cid:
            return self.send_json(200, {"error": "invalid_client"})
        with st.lock:
            if cid not in st.clients:
                return self.send_json(200, {"error": "invalid_client"})
            if secret != st.clients[cid]:
                return self.send_json(200, {"error": "invalid_client_secret"})
            t = now_ts()
            cfg = st.config
            if gt == "authorization_code":
                code = params.get("code")
                if not code:
                    return self.send_json(200, {"error": "invalid_request"})
                c = st.codes.get(code)
                if not c or c["used"] or c["expires_at"] <= t or c["client_id"] != cid:
                    return self.send_json(200, {"error": "invalid_code"})
                if params.get("redirect_uri") != c["redirect_uri"]:
                    return self.send_json(200, {"error": "invalid_redirect_uri"})
                c["used"] = True
                rt = None
                if c["offline"]:
                    rt = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
                    st.refresh_tokens[rt] = {"client_id": cid, "scope": c["scope"],
                                             "revoked": False, "issued": [], "created": iso(t)}
                answer = self._issue_access(cid, c["scope"], rt, t)
                if rt:
                    answer = dict(answer)
                    answer["refresh_token"] = rt
                    answer = _order_token_answer(answer)
                return self.send_json(200, answer)
            # refresh_token grant
            rtok = params.get("refresh_token")
            if not rtok:
                return self.send_json(200, {"error": "invalid_request"})
            r = st.refresh_tokens.get(rtok)
            if not r or r["revoked"] or r["client_id"] != cid:
                return self.send_json(200, {"error": "invalid_code"})
            limit = int(cfg.get("refresh_limit_per_10min") or 10)
            r["issued"] = [x for x in r["issued"] if x > t - 600]
            if len(r["issued"]) >= limit:
                return self.send_json(400, {
                    "error": "Access Denied",
                    "error_description": "You have made too many requests continuously. "
                                         "Please try again after some time.",
                    "status": "failure"})
            r["issued"].append(t)
            return self.send_json(200, self._issue_access(cid, r["scope"], rtok, t))

    def _issue_access(self, cid, scope, rt, t):
        st = STATE
        life = int(st.config.get("token_lifetime_secs") or 3600)
        at = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        st.access_tokens[at] = {"client_id": cid, "scope": scope, "refresh_token": rt,
                                "expires_at": t + life, "revoked": False, "created": iso(t)}
        ans = {"access_token": at, "scope": scope, "api_domain": st.base,
               "token_type": "Bearer"}
        if st.config.get("legacy_expires"):
            ans["expires_in_sec"] = life
            ans["expires_in"] = life * 1000
        else:
            ans["expires_in"] = life
        return ans

    def revoke(self):
        st = STATE
        params = dict(self.qs)
        params.update(self.body.form or {})
        tok = params.get("token")
        with st.lock:
            if tok and tok in st.refresh_tokens:
                st.refresh_tokens[tok]["revoked"] = True
                if st.config.get("revoke_kills_access_tokens", True):
                    for a in st.access_tokens.values():
                        if a.get("refresh_token") == tok:
                            a["revoked"] = True
                return self.send_json(200, {"status": "success"})
            if tok and tok in st.access_tokens:
                st.access_tokens[tok]["revoked"] = True
                return self.send_json(200, {"status": "success"})
        self.send_json(400, {"status": "failure"})

    # =========================================================================================
    # CRM

    def crm(self):
        st = STATE
        with st.lock:
            st.in_flight_crm += 1
            st.max_concurrent_crm = max(st.max_concurrent_crm, st.in_flight_crm)
            over = (st.config.get("concurrency_limit") is not None
                    and st.in_flight_crm > int(st.config["concurrency_limit"]))
            delay = float(st.config.get("delay_ms") or 0) / 1000.0
        try:
            if delay > 0:
                time.sleep(delay)
            if over or self.take_rate_limit():
                return self.send_json(429, crm_error(
                    "TOO_MANY_REQUESTS",
                    "You have made too many requests continuously. Please try again after some time."))
            at = self.token_ok(("ZohoCRM.",))
            if at is None:
                return self.send_json(401, crm_error("INVALID_TOKEN", "invalid oauth token"))
            if at == "scope":
                return self.send_json(401, crm_error("OAUTH_SCOPE_MISMATCH",
                                                     "invalid oauth scope to access this URL"))
            zg = self.headers.get("X-CRM-ORG")
            self.org = None
            with st.lock:
                orgs = st.orgs()
            if zg:
                self.org = next((o for o in orgs if str(o["zgid"]) == zg.strip()), None)
                if self.org is None:
                    return self.send_json(400, crm_error("INVALID_ORG", "the given org is invalid",
                                                         {"X-CRM-ORG": zg}))
            else:
                self.org = orgs[0]
            self.user = ADMIN
            return self.crm_route()
        finally:
            with st.lock:
                st.in_flight_crm -= 1

    def crm_route(self):
        parts = [urllib.parse.unquote(x) for x in self.req_path.split("/")[3:] if x]
        m = self.command
        if self.req_path.split("/")[2:3] != ["v8"] or not parts:
            return self.bad_url()
        head = parts[0]
        if head == "org":
            if len(parts) == 1 and m == "GET":
                return self.send_json(200, {"org": [self.org]})
            return self.bad_url()
        if head == "users":
            if m != "GET":
                return self.bad_method()
            if len(parts) == 1:
                return self.crm_users()
            if len(parts) == 2:
                return self.crm_user(parts[1])
            return self.bad_url()
        if head == "settings":
            if parts[1:] == ["fields"] and m == "GET":
                return self.crm_fields()
            return self.bad_url()
        mod = canon_module(head)
        if not mod:
            return self.send_json(400, crm_error("INVALID_MODULE",
                                                 "the module name given seems to be invalid",
                                                 {"resource_path_index": 0}))
        if len(parts) == 1:
            if m == "GET":
                return self.crm_list(mod)
            if m == "POST":
                return self.crm_insert(mod)
            if m == "PUT":
                return self.crm_update(mod, None)
            if m == "DELETE":
                return self.crm_delete(mod, [x for x in (self.qs.get("ids") or "").split(",") if x])
            return self.bad_method()
        if len(parts) == 2 and parts[1] == "search":
            return self.crm_search(mod) if m == "GET" else self.bad_method()
        if len(parts) == 2 and parts[1] == "upsert":
            return self.crm_upsert(mod) if m == "POST" else self.bad_method()
        rid = parts[1]
        if len(parts) == 2:
            if m == "GET":
                return self.crm_get(mod, rid)
            if m == "PUT":
                return self.crm_update(mod, rid)
            if m == "DELETE":
                return self.crm_delete(mod, [rid])
            return self.bad_method()
        if len(parts) == 3 and parts[2] == "Notes":
            if m == "GET":
                return self.crm_related_notes(mod, rid)
            if m == "POST":
                return self.crm_insert("Notes", parent=(mod, rid))
            return self.bad_method()
        if len(parts) == 3 and parts[2] == "Attachments":
            if m == "GET":
                return self.crm_list_attachments(mod, rid)
            if m == "POST":
                return self.crm_upload_attachment(mod, rid)
            return self.bad_method()
        if len(parts) == 4 and parts[2] == "Attachments":
            if m == "GET":
                return self.crm_get_attachment(mod, rid, parts[3])
            if m == "DELETE":
                return self.crm_delete_attachment(mod, rid, parts[3])
            return self.bad_method()
        return self.bad_url()

    def bad_url(self):
        self.send_json(404, crm_error("INVALID_URL_PATTERN",
                                      "Please check if the URL trying to access is a correct one"))

    def bad_method(self):
        self.send_json(400, crm_error("INVALID_REQUEST_METHOD",
                                      "The http request method type is not a valid one"))

    def paging(self, default_per_page=200, maximum=200):
        try:
            page = int(self.qs.get("page") or 1)
            per_page = int(self.qs.get("per_page") or default_per_page)
        except ValueError:
            return None, None, crm_error("INVALID_DATA", "invalid data", {"param_name": "page"})
        if page < 1:
            return None, None, crm_error("INVALID_DATA", "invalid data", {"param_name": "page"})
        if per_page < 1 or per_page > maximum:
            return None, None, crm_error("INVALID_DATA", "invalid data",
                                         {"param_name": "per_page", "maximum_length": maximum})
        return page, per_page, None

    # ---- users / org / fields

    def crm_users(self):
        st = STATE
        typ = self.qs.get("type") or "AllUsers"
        page, per_page, err = self.paging()
        if err:
            return self.send_json(400, err)
        with st.lock:
            if typ == "CurrentUser":
                users = [u for u in st.users if u["id"] == self.user["id"]]
            elif typ in ("AllUsers", "ActiveUsers", "ActiveConfirmedUsers", "ConfirmedUsers",
                         "AdminUsers", "ActiveConfirmedAdmins"):
                users = [u for u in st.users if u["status"] == "active" or typ == "AllUsers"]
                if typ in ("AdminUsers", "ActiveConfirmedAdmins"):
                    users = [u for u in users if u["profile"]["name"] == "Administrator"]
            elif typ in ("DeactiveUsers", "NotConfirmedUsers"):
                users = []
            else:
                return self.send_json(400, crm_error("INVALID_DATA", "invalid data",
                                                     {"param_name": "type"}))
            users = [user_public(u) for u in users]
        chunk = users[(page - 1) * per_page: page * per_page]
        if not chunk:
            return self.send_empty(204)
        self.send_json(200, {"users": chunk, "info": {
            "per_page": per_page, "count": len(chunk), "page": page,
            "more_records": page * per_page < len(users)}})

    def crm_user(self, uid):
        u = STATE.find_user(uid)
        if not u or u in STATE.hidden_users:
            return self.send_empty(204)
        self.send_json(200, {"users": [user_public(u)]})

    def crm_fields(self):
        st = STATE
        name = self.qs.get("module")
        if not name:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "module"}))
        mod = canon_module(name)
        if not mod:
            return self.send_json(400, crm_error("INVALID_MODULE",
                                                 "the module name given seems to be invalid",
                                                 {"param_name": "module"}))
        with st.lock:
            out = [field_meta(mod, f, i) for i, f in enumerate(st.fields[mod])]
        self.send_json(200, {"fields": out})

    # ---- write paths

    def _data_items(self, limit=100):
        j = self.body.json
        if self.body.json_error or not isinstance(j, dict) or not isinstance(j.get("data"), list):
            self.send_json(400, crm_error("INVALID_DATA", "body", {}))
            return None
        items = j["data"]
        if not items:
            self.send_json(400, crm_error("INVALID_DATA", "body", {"reason": "empty data"}))
            return None
        if len(items) > limit:
            self.send_json(400, {"data": [crm_error("LIMIT_EXCEEDED", "Record count exceeded",
                                                    {"limit": limit})]})
            return None
        return items

    def _reply_items(self, results, ok_status):
        oks = sum(1 for r in results if r.get("status") == "success")
        if oks == len(results):
            status = ok_status
        elif oks == 0:
            status = 400
        else:
            status = 207
        self.send_json(status, {"data": results})

    def crm_insert(self, mod, parent=None):
        st = STATE
        if parent:
            pmod, pid = parent
            pm = canon_module(pmod)
            with st.lock:
                if not pm or pid not in st.records.get(pm, {}):
                    return self.send_json(400, crm_error("INVALID_DATA",
                                                         "the related id given seems to be invalid",
                                                         {"id": pid}))
        items = self._data_items()
        if items is None:
            return
        results = []
        with st.lock:
            batch = []
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    results.append(crm_error("INVALID_DATA", "invalid data",
                                             {"json_path": f"$.data[{i}]"}))
                    continue
                if parent:
                    item = dict(item)
                    item.setdefault("Parent_Id", {"module": {"api_name": pm}, "id": pid})
                clean, err = validate_item(mod, item, i, None, batch)
                if err:
                    results.append(err)
                    continue
                rec = create_record(mod, clean, self.user)
                batch.append(rec)
                results.append(success_item(rec, "record added"))
        self._reply_items(results, 201)

    def crm_update(self, mod, rid):
        st = STATE
        items = self._data_items()
        if items is None:
            return
        results = []
        with st.lock:
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    results.append(crm_error("INVALID_DATA", "invalid data",
                                             {"json_path": f"$.data[{i}]"}))
                    continue
                target = rid if rid is not None else item.get("id")
                if target in (None, ""):
                    results.append(crm_error("MANDATORY_NOT_FOUND", "required field not found",
                                             {"api_name": "id", "json_path": f"$.data[{i}].id"}))
                    continue
                rec = st.records[mod].get(str(target))
                if not rec:
                    results.append(crm_error("INVALID_DATA", "the id given seems to be invalid",
                                             {"api_name": "id", "json_path": f"$.data[{i}].id"}))
                    continue
                item = {k: v for k, v in item.items() if k != "id"}
                clean, err = validate_item(mod, item, i, rec, [])
                if err:
                    results.append(err)
                    continue
                apply_update(mod, rec, clean, self.user)
                results.append(success_item(rec, "record updated"))
        self._reply_items(results, 200)

    def crm_upsert(self, mod):
        st = STATE
        items = self._data_items()
        if items is None:
            return
        j = self.body.json
        dup_fields = j.get("duplicate_check_fields") or DEFAULT_DUP_FIELDS.get(mod) or []
        if isinstance(dup_fields, str):
            dup_fields = [x for x in dup_fields.split(",") if x]
        results = []
        with st.lock:
            batch = []
            for i, item in enumerate(items):
                if not isinstance(item, dict):
                    results.append(crm_error("INVALID_DATA", "invalid data",
                                             {"json_path": f"$.data[{i}]"}))
                    continue
                existing, dup_field = None, None
                for fld in dup_fields:
                    v = item.get(fld)
                    if v in (None, ""):
                        continue
                    for rec in st.records[mod].values():
                        if values_equal(rec["data"].get(fld), v):
                            existing, dup_field = rec, fld
                            break
                    if existing:
                        break
                if existing:
                    clean, err = validate_item(mod, {k: v for k, v in item.items() if k != "id"},
                                               i, existing, [])
                    if err:
                        results.append(err)
                        continue
                    apply_update(mod, existing, clean, self.user)
                    r = success_item(existing, "record updated")
                    r["action"] = "update"
                    r["duplicate_field"] = dup_field
                else:
                    clean, err = validate_item(mod, item, i, None, batch)
                    if err:
                        results.append(err)
                        continue
                    rec = create_record(mod, clean, self.user)
                    batch.append(rec)
                    r = success_item(rec, "record added")
                    r["action"] = "insert"
                    r["duplicate_field"] = None
                results.append(_order_item(r))
        self._reply_items(results, 200)

    def crm_delete(self, mod, ids):
        st = STATE
        if not ids:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "ids"}))
        results = []
        with st.lock:
            for rid in ids:
                if rid in st.records[mod]:
                    del st.records[mod][rid]
                    results.append({"code": "SUCCESS", "details": {"id": rid},
                                    "message": "record deleted", "status": "success"})
                else:
                    results.append(crm_error("INVALID_DATA", "record not deleted", {"id": rid}))
        self._reply_items(results, 200)

    # ---- read paths

    def _ims(self):
        v = self.headers.get("If-Modified-Since")
        return parse_time_header(v) if v else None

    def _modified_since(self, rec, since):
        mt = int(rec["mtime"])
        if STATE.config.get("if_modified_since_inclusive", True):
            return mt >= int(since)
        return mt > int(since)

    def crm_get(self, mod, rid):
        st = STATE
        with st.lock:
            rec = st.records[mod].get(rid)
            if not rec:
                status = int(st.config.get("get_unknown_id_status") or 204)
                if status == 204:
                    return self.send_empty(204)
                return self.send_json(status, crm_error("INVALID_DATA",
                                                        "the given id seems to be invalid",
                                                        {"id": rid}))
            since = self._ims()
            if since is not None and not self._modified_since(rec, since):
                return self.send_empty(304)
            out = full_record(mod, rec)
            fields = self.qs.get("fields")
            if fields:
                out = project(out, fields)
        self.send_json(200, {"data": [out]})

    def crm_list(self, mod):
        st = STATE
        fields = self.qs.get("fields")
        if not fields:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "fields"}))
        page, per_page, err = self.paging()
        if err:
            return self.send_json(400, err)
        sort_by = self.qs.get("sort_by") or "id"
        sort_order = (self.qs.get("sort_order") or "desc").lower()
        if sort_by not in ("id", "Modified_Time", "Created_Time") or sort_order not in ("asc", "desc"):
            return self.send_json(400, crm_error("INVALID_DATA", "invalid data",
                                                 {"param_name": "sort_by"}))
        token = self.qs.get("page_token")
        offset = (page - 1) * per_page
        with st.lock:
            if token:
                t = st.page_tokens.get(token)
                if not t or t["module"] != mod or t["expires"] < now_ts():
                    return self.send_json(400, crm_error("INVALID_DATA", "invalid data",
                                                         {"param_name": "page_token"}))
                offset = t["offset"]
                sort_by, sort_order = t["sort_by"], t["sort_order"]
            elif page * per_page > 2000:
                return self.send_json(400, crm_error(
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    "you cannot fetch more than 2000 records without page_token",
                    {"limit": 2000}))
            recs = list(st.records[mod].values())
            since = self._ims()
            if since is not None:
                changed = [r for r in recs if self._modified_since(r, since)]
                if recs and not changed:
                    status = int(st.config.get("list_not_modified_status") or 304)
                    return self.send_empty(status)
                recs = changed
            recs = sort_records(recs, sort_by, sort_order)
            chunk = recs[offset: offset + per_page]
            if not chunk:
                return self.send_empty(204)
            more = offset + per_page < len(recs)
            next_token = None
            if more:
                next_token = secrets.token_hex(24)
                st.page_tokens[next_token] = {"module": mod, "offset": offset + per_page,
                                              "sort_by": sort_by, "sort_order": sort_order,
                                              "expires": now_ts() + 86400}
            data = [project(full_record(mod, r), fields) for r in chunk]
        self.send_json(200, {"data": data, "info": {
            "per_page": per_page, "count": len(data), "page": page if not token else None,
            "sort_by": sort_by, "sort_order": sort_order, "more_records": more,
            "next_page_token": next_token, "previous_page_token": None,
            "page_token_expiry": iso(now_ts() + 86400) if next_token else None}})

    def crm_search(self, mod):
        st = STATE
        crit = self.qs.get("criteria")
        email_ = self.qs.get("email")
        phone = self.qs.get("phone")
        word = self.qs.get("word")
        if not any(x for x in (crit, email_, phone, word)):
            return self.send_json(400, crm_error("EXPECTED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"expected_params": ["criteria", "email", "phone",
                                                                      "word"]}))
        page, per_page, err = self.paging()
        if err:
            return self.send_json(400, err)
        pred = None
        if crit:
            try:
                tree, n = parse_criteria(crit)
            except ValueError as e:
                return self.send_json(400, crm_error("INVALID_QUERY", "invalid query formed",
                                                     {"reason": str(e)}))
            if n > 10:
                return self.send_json(400, crm_error("LIMIT_REACHED",
                                                     "maximum of 10 criteria can be given",
                                                     {"limit": 10}))
            pred = tree
        with st.lock:
            fields_meta = {f["api_name"]: f for f in st.fields[mod]}
            if pred is not None:
                for fname in criteria_fields(pred):
                    if fname.split(".")[0] not in fields_meta:
                        return self.send_json(400, crm_error("INVALID_QUERY", "invalid query formed",
                                                             {"api_name": fname}))
            lag = float(st.config.get("index_lag_secs") or 0)
            cutoff = now_ts() - lag
            hits = []
            for rec in st.records[mod].values():
                if lag > 0 and rec["ctime"] > cutoff:
                    continue
                d = rec["data"]
                ok = True
                if pred is not None and not eval_criteria(pred, d, fields_meta):
                    ok = False
                if ok and email_:
                    ok = any(isinstance(d.get(f), str) and d[f].lower() == email_.lower()
                             for f, meta in fields_meta.items() if meta["data_type"] == "email")
                if ok and phone:
                    digits = re.sub(r"\D", "", phone)
                    ok = bool(digits) and any(
                        isinstance(d.get(f), str) and re.sub(r"\D", "", d[f]) == digits
                        for f, meta in fields_meta.items() if meta["data_type"] == "phone")
                if ok and word:
                    w = word.lower()
                    ok = any(isinstance(d.get(f), str) and w in d[f].lower()
                             for f, meta in fields_meta.items() if meta["data_type"] in TEXT_TYPES)
                if ok:
                    hits.append(rec)
            hits = sort_records(hits, "id", "asc")
            chunk = hits[(page - 1) * per_page: page * per_page]
            if not chunk:
                return self.send_empty(204)
            fields = self.qs.get("fields")
            data = [project(full_record(mod, r), fields) if fields else full_record(mod, r)
                    for r in chunk]
        self.send_json(200, {"data": data, "info": {
            "per_page": per_page, "count": len(data), "page": page,
            "more_records": page * per_page < len(hits)}})

    def crm_related_notes(self, mod, rid):
        st = STATE
        fields = self.qs.get("fields")
        if not fields:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "fields"}))
        page, per_page, err = self.paging()
        if err:
            return self.send_json(400, err)
        with st.lock:
            if rid not in st.records[mod]:
                return self.send_json(400, crm_error("INVALID_DATA",
                                                     "the related id given seems to be invalid",
                                                     {"id": rid}))
            notes = [n for n in st.records["Notes"].values()
                     if (n["data"].get("Parent_Id") or {}).get("id") == rid]
            notes = sort_records(notes, "Created_Time", "desc")
            chunk = notes[(page - 1) * per_page: page * per_page]
            if not chunk:
                return self.send_empty(204)
            data = [project(full_record("Notes", n), fields) for n in chunk]
        self.send_json(200, {"data": data, "info": {
            "per_page": per_page, "count": len(data), "page": page,
            "more_records": page * per_page < len(notes)}})

    # ---- attachments

    def crm_upload_attachment(self, mod, rid):
        st = STATE
        with st.lock:
            if rid not in st.records[mod]:
                return self.send_json(400, crm_error("INVALID_DATA",
                                                     "the related id given seems to be invalid",
                                                     {"id": rid}))
            limit = int(st.config.get("attachment_max_bytes") or 20 * MiB)
        part = self.body.file_part("file")
        url = (self.body.form or {}).get("attachmentUrl") or self.qs.get("attachmentUrl")
        if part is None and not url:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "file"}))
        if part is not None and part.size > limit:
            return self.send_json(413, crm_error(
                "FILE_SIZE_MORE_THAN_ALLOWED_SIZE",
                f"Only files with size less than {limit // MiB} MB are allowed",
                {"allowed_size_in_bytes": limit}))
        with st.lock:
            aid = st.next_id()
            t = now_ts()
            att = {"id": aid, "module": mod, "parent_id": rid, "ctime": t, "mtime": t,
                   "user": self.user, "link_url": None, "path": None, "size": 0,
                   "sha256": None, "file_name": None}
            if part is not None:
                path = os.path.join(st.att_dir, aid)
                os.replace(part.path, path)
                self.body.tmpfiles.remove(part.path)
                att.update(path=path, size=part.size, sha256=part.sha256,
                           file_name=part.filename or "file")
            else:
                att.update(link_url=url, file_name=(self.body.form or {}).get("title") or url)
            st.attachments[aid] = att
        who = {"name": self.user["full_name"], "id": self.user["id"]}
        self.send_json(200, {"data": [{"code": "SUCCESS", "details": {
            "Modified_Time": iso(t), "Modified_By": who, "Created_Time": iso(t), "id": aid,
            "Created_By": who}, "message": "attachment uploaded successfully",
            "status": "success"}]})

    def crm_list_attachments(self, mod, rid):
        st = STATE
        fields = self.qs.get("fields")
        with st.lock:
            required = st.config.get("attachments_fields_required", True)
        if required and not fields:
            return self.send_json(400, crm_error("REQUIRED_PARAM_MISSING",
                                                 "One of the expected parameter is missing",
                                                 {"param_name": "fields"}))
        page, per_page, err = self.paging()
        if err:
            return self.send_json(400, err)
        with st.lock:
            if rid not in st.records[mod]:
                return self.send_json(400, crm_error("INVALID_DATA",
                                                     "the related id given seems to be invalid",
                                                     {"id": rid}))
            atts = [a for a in st.attachments.values() if a["parent_id"] == rid and a["module"] == mod]
            atts.sort(key=lambda a: int(a["id"]), reverse=True)
            chunk = atts[(page - 1) * per_page: page * per_page]
            if not chunk:
                return self.send_empty(204)
            data = [attachment_public(a) for a in chunk]
            if fields:
                data = [project(a, fields) for a in data]
        self.send_json(200, {"data": data, "info": {
            "per_page": per_page, "count": len(data), "page": page,
            "more_records": page * per_page < len(atts)}})

    def crm_get_attachment(self, mod, rid, aid):
        st = STATE
        with st.lock:
            a = st.attachments.get(aid)
            if not a or a["parent_id"] != rid or a["module"] != mod:
                return self.send_empty(204)
            path, size, name = a["path"], a["size"], a["file_name"]
        if path is None:
            return self.send_json(200, {"data": [attachment_public(a)]})
        self.send_file(path, size, name)

    def crm_delete_attachment(self, mod, rid, aid):
        st = STATE
        with st.lock:
            a = st.attachments.get(aid)
            if not a or a["parent_id"] != rid or a["module"] != mod:
                return self.send_json(400, {"data": [crm_error(
                    "INVALID_DATA", "the given id seems to be invalid", {"id": aid})]})
            del st.attachments[aid]
            if a["path"]:
                try:
                    os.unlink(a["path"])
                except OSError:
                    pass
        self.send_json(200, {"data": [{"code": "SUCCESS", "details": {"id": aid},
                                       "message": "record deleted", "status": "success"}]})

    # =========================================================================================
    # WorkDrive

    def wd_send_error(self, status, eid, title):
        self.send_json(status, wd_errors(eid, title), ctype="application/vnd.api+json")

    def wd_send(self, status, obj):
        self.send_json(status, obj, ctype="application/vnd.api+json")

    def workdrive(self):
        st = STATE
        if self.take_rate_limit():
            return self.wd_send_error(429, "R429", "Too many requests. Please try again later.")
        at = self.token_ok(("WorkDrive.", "ZohoFiles.", "ZohoPC."))
        if at is None or at == "scope":
            err = st.config.get("workdrive_auth_error") or {"id": "F7003",
                                                           "title": "Invalid OAuth token."}
            return self.send_json(401, {"errors": [err]}, ctype="application/vnd.api+json")
        self.user = ADMIN
        p = self.req_path.rstrip("/")
        m = self.command
        dl = re.fullmatch(r"(?:/v1/workdrive/download|/workdrive/api/v1/download|/api/v1/download)/([^/]+)", p)
        if dl:
            return self.wd_download(urllib.parse.unquote(dl.group(1))) if m in ("GET", "HEAD") \
                else self.wd_send_error(405, "F000", "Method not allowed")
        if p in ("/workdrive-api/v1/stream/upload", "/workdrive/api/v1/uploadsession/upload"):
            return self.wd_stream_upload() if m == "POST" else \
                self.wd_send_error(405, "F000", "Method not allowed")
        if not p.startswith("/workdrive/api/v1/"):
            return self.wd_send_error(404, "F000", "Invalid URL")
        rest = [urllib.parse.unquote(x) for x in p[len("/workdrive/api/v1/"):].split("/") if x]
        if rest == ["upload"]:
            return self.wd_upload() if m == "POST" else \
                self.wd_send_error(405, "F000", "Method not allowed")
        if rest and rest[0] == "uploadsession":
            return self.wd_uploadsession(rest[1:])
        if rest and rest[0] == "files":
            if st.config.get("workdrive_require_accept", True):
                acc = (self.headers.get("Accept") or "").lower()
                if "application/vnd.api+json" not in acc:
                    return self.wd_send_error(415, "F000", "Unsupported Media Type")
            if rest == ["files"] and m == "POST":
                return self.wd_create_folder()
            if len(rest) == 2 and m == "GET":
                return self.wd_get(rest[1])
            if len(rest) == 2 and m == "PATCH":
                return self.wd_patch(rest[1])
            if len(rest) == 3 and m == "GET" and rest[2] in ("files", "folders"):
                return self.wd_list(rest[1], rest[2])
        return self.wd_send_error(404, "F000", "Invalid URL")

    def wd_obj(self, f):
        return wd_file_obj(f)

    def _name_problem(self, name):
        if not isinstance(name, str) or not name.strip():
            return "Name is empty"
        if len(name) > 200:
            return "Name exceeds the maximum length of 200 characters"
        if any(c in name for c in '/\\') or name in (".", ".."):
            return "Name contains invalid characters"
        return None

    def _sibling(self, parent_id, name, exclude=None):
        for f in STATE.wd_files.values():
            if (f["parent_id"] == parent_id and f["status"] == "1" and f["id"] != exclude
                    and f["name"].lower() == name.lower()):
                return f
        return None

    def wd_create_folder(self):
        st = STATE
        j = self.body.json
        data = j.get("data") if isinstance(j, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attrs, dict) or (data.get("type") not in (None, "files")):
            return self.wd_send_error(400, "F000", "Invalid input")
        name = attrs.get("name")
        parent_id = attrs.get("parent_id")
        problem = self._name_problem(name)
        if problem:
            return self.wd_send_error(400, "F000", problem)
        with st.lock:
            parent = st.wd_files.get(parent_id or "")
            if not parent or not parent["is_folder"] or parent["status"] != "1":
                return self.wd_send_error(404, "R503", "Destination folder does not exist")
            if self._sibling(parent_id, name):
                return self.wd_send_error(409, "R504", "A file or folder with this name already exists")
            t = now_ts()
            fid = wd_id()
            f = {"id": fid, "name": name, "parent_id": parent_id, "is_folder": True, "size": 0,
                 "sha256": None, "md5": None, "status": "1", "path": None, "ctime": t, "mtime": t}
            st.wd_files[fid] = f
            out = self.wd_obj(f)
        self.wd_send(201, {"data": out})

    def wd_get(self, fid):
        with STATE.lock:
            f = STATE.wd_files.get(fid)
            if not f:
                return self.wd_send_error(404, "R501", "Resource does not exist")
            out = self.wd_obj(f)
        self.wd_send(200, {"data": out})

    def wd_list(self, fid, kind):
        st = STATE
        try:
            limit = int(self.qs.get("page[limit]") or 50)
            offset = int(self.qs.get("page[offset]") or 0)
        except ValueError:
            return self.wd_send_error(400, "F000", "Invalid page parameters")
        limit = max(1, min(limit, 200))
        offset = max(0, offset)
        with st.lock:
            f = st.wd_files.get(fid)
            if not f or not f["is_folder"]:
                return self.wd_send_error(404, "R501", "Resource does not exist")
            kids = [x for x in st.wd_files.values() if x["parent_id"] == fid and x["status"] == "1"
                    and (kind == "files" or x["is_folder"])]
            kids.sort(key=lambda x: (not x["is_folder"], x["name"].lower()))
            chunk = kids[offset: offset + limit]
            has_next = offset + limit < len(kids)
            data = [self.wd_obj(x) for x in chunk]
        nxt = None
        if has_next:
            nxt = (f"{st.base}/workdrive/api/v1/files/{fid}/{kind}?page%5Blimit%5D={limit}"
                   f"&page%5Boffset%5D={offset + limit}")
        self.wd_send(200, {"data": data, "links": {"cursor": {"has_next": has_next, "next": nxt}},
                           "meta": {"total_count": len(kids), "offset": offset, "limit": limit}})

    def wd_patch(self, fid):
        st = STATE
        j = self.body.json
        data = j.get("data") if isinstance(j, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attrs, dict):
            return self.wd_send_error(400, "F000", "Invalid input")
        with st.lock:
            f = st.wd_files.get(fid)
            if not f or fid == st.teamfolder_id:
                if not f:
                    return self.wd_send_error(404, "R501", "Resource does not exist")
                return self.wd_send_error(403, "R502", "Permission denied")
            if "status" in attrs:
                s = str(attrs["status"])
                if s == "51":
                    f["status"] = "51"
                elif s == "61":
                    self._wd_delete(f)
                    return self.wd_send(200, {"data": {"id": fid, "type": "files",
                                                       "attributes": {"status": "61"}}})
                elif s == "1":
                    if self._sibling(f["parent_id"], f["name"], exclude=fid):
                        return self.wd_send_error(409, "R504", "A file or folder with this name already exists")
                    f["status"] = "1"
                else:
                    return self.wd_send_error(400, "F000", "Invalid status")
            if "name" in attrs:
                problem = self._name_problem(attrs["name"])
                if problem:
                    return self.wd_send_error(400, "F000", problem)
                if self._sibling(f["parent_id"], attrs["name"], exclude=fid):
                    return self.wd_send_error(409, "R504", "A file or folder with this name already exists")
                f["name"] = attrs["name"]
            if "parent_id" in attrs:
                dest = st.wd_files.get(attrs["parent_id"] or "")
                if not dest or not dest["is_folder"] or dest["status"] != "1":
                    return self.wd_send_error(404, "R503", "Destination folder does not exist")
                if dest["id"] == f["parent_id"]:
                    return self.wd_send_error(400, "R509", "Source and destination are the same")
                if self._sibling(dest["id"], f["name"], exclude=fid):
                    return self.wd_send_error(409, "R504", "A file or folder with this name already exists")
                f["parent_id"] = dest["id"]
            f["mtime"] = now_ts()
            out = self.wd_obj(f)
        self.wd_send(200, {"data": out})

    def _wd_delete(self, f):
        st = STATE
        for kid in [x for x in st.wd_files.values() if x["parent_id"] == f["id"]]:
            self._wd_delete(kid)
        if f.get("path"):
            try:
                os.unlink(f["path"])
            except OSError:
                pass
        st.wd_files.pop(f["id"], None)

    def _store_file(self, parent_id, name, src_path, size, sha, md5, replace=None):
        """Under the lock: creates (or replaces the content of) a file from a temp file."""
        st = STATE
        t = now_ts()
        if replace is not None:
            f = replace
            path = f["path"] or os.path.join(st.wd_dir, f["id"])
            os.replace(src_path, path)
            f.update(size=size, sha256=sha, md5=md5, path=path, mtime=t, status="1")
            f["version"] = f.get("version", 1) + 1
            return f
        fid = wd_id()
        path = os.path.join(st.wd_dir, fid)
        os.replace(src_path, path)
        f = {"id": fid, "name": name, "parent_id": parent_id, "is_folder": False, "size": size,
             "sha256": sha, "md5": md5, "status": "1", "path": path, "ctime": t, "mtime": t,
             "version": 1}
        st.wd_files[fid] = f
        return f

    def _param(self, *names):
        for n in names:
            v = (self.body.form or {}).get(n)
            if v is None:
                v = self.qs.get(n)
            if v is not None:
                return v
        return None

    def wd_upload(self):
        st = STATE
        content = self.body.file_part("content")
        if content is None:
            return self.wd_send_error(400, "F000", "Content parameter is missing")
        fname = self._param("filename")
        name = urllib.parse.unquote(fname) if fname else (content.filename or "")
        parent_id = self._param("parent_id")
        override = str(self._param("override-name-exist") or "false").lower() == "true"
        problem = self._name_problem(name)
        if problem:
            return self.wd_send_error(400, "F000", problem)
        with st.lock:
            maxb = int(st.config.get("workdrive_upload_max_bytes") or 250 * MiB)
            if content.size > maxb:
                return self.wd_send_error(413, "F000", "File size is greater than the allowed limit")
            parent = st.wd_files.get(parent_id or "")
            if not parent or not parent["is_folder"] or parent["status"] != "1":
                return self.wd_send_error(401, "R503", "Parent folder does not exist or does not belong to the user")
            existing = self._sibling(parent_id, name)
            if existing is not None and existing["is_folder"]:
                return self.wd_send_error(409, "R504", "A folder with this name already exists")
            replace = None
            if existing is not None:
                if override:
                    replace = existing
                elif st.config.get("workdrive_upload_conflict", "409") == "rename":
                    stem, ext = os.path.splitext(name)
                    name = f"{stem}_{time.strftime('%Y%m%d%H%M%S')}{ext}"
                    while self._sibling(parent_id, name):
                        name = f"{stem}_{secrets.token_hex(2)}{ext}"
                else:
                    return self.wd_send_error(409, "R504", "File with the same name already exists in this folder")
            quota = st.config.get("workdrive_quota_bytes")
            used = st.wd_bytes() - (replace["size"] if replace else 0)
            if quota is not None and used + content.size > int(quota):
                return self.wd_send_error(507, "F000", "Storage limit exceeded")
            f = self._store_file(parent_id, name, content.path, content.size, content.sha256,
                                 content.md5, replace)
            self.body.tmpfiles.remove(content.path)
            ans = upload_answer(f)
        self.wd_send(200, ans)

    # ---- chunk upload sessions

    def _session_params(self):
        out = dict(self.qs)
        j = self.body.json
        if isinstance(j, dict):
            d = j.get("data")
            if isinstance(d, list) and d:
                d = d[0]
            attrs = d.get("attributes") if isinstance(d, dict) else None
            if isinstance(attrs, dict):
                for k, v in attrs.items():
                    out.setdefault(k, v)
            for k, v in j.items():
                if k != "data":
                    out.setdefault(k, v)
        for k, v in (self.body.form or {}).items():
            out.setdefault(k, v)
        return out

    def wd_uploadsession(self, rest):
        m = self.command
        if rest == [] and m == "GET":
            return self.wd_session_progress()
        if rest == ["create"] and m == "POST":
            return self.wd_session_create(None)
        if rest == ["commit"] and m == "POST":
            return self.wd_session_commit(None)
        if len(rest) == 2 and rest[1] == "create" and m == "POST":
            return self.wd_session_create(rest[0])
        if len(rest) == 2 and rest[1] == "commit" and m == "POST":
            return self.wd_session_commit(rest[0])
        return self.wd_send_error(404, "F000", "Invalid URL")

    def wd_session_create(self, resource_id):
        st = STATE
        p = self._session_params()
        try:
            size = int(p.get("size") or p.get("file_size") or 0)
        except (TypeError, ValueError):
            size = 0
        with st.lock:
            cfg = st.config
            minimum = int(cfg.get("chunk_min_file_bytes") or 0)
            if size <= 0:
                return self.wd_send_error(400, "F000", "size is missing or invalid")
            if size < minimum:
                return self.wd_send_error(400, "F000", f"Allowed minimum file size is {minimum} Bytes")
            target = None
            if resource_id is not None:
                target = st.wd_files.get(resource_id)
                if not target or target["is_folder"]:
                    return self.wd_send_error(401, "R501", "Given resource-id is not a valid file")
                parent_id, name = target["parent_id"], target["name"]
                conflict = "update"
            else:
                parent_id = p.get("parent_id") or p.get("x-parent_id")
                name = p.get("file_name") or p.get("filename") or p.get("name")
                name = urllib.parse.unquote(name) if isinstance(name, str) else name
                conflict = str(p.get("name_conflict") or p.get("name-conflict") or
                               ("update" if str(p.get("override-name-exist")).lower() == "true"
                                else "fail")).lower()
                problem = self._name_problem(name)
                if problem:
                    return self.wd_send_error(400, "F000", problem)
                parent = st.wd_files.get(parent_id or "")
                if not parent or not parent["is_folder"] or parent["status"] != "1":
                    return self.wd_send_error(404, "R503", "Destination folder does not exist")
                existing = self._sibling(parent_id, name)
                if existing is not None and (conflict not in ("update", "rename")
                                             or existing["is_folder"]):
                    return self.wd_send_error(409, "R504", "File with the same name already exists. "
                                                           "Use name_conflict to rename or update")
            quota = cfg.get("workdrive_quota_bytes")
            if quota is not None and st.wd_bytes() + size > int(quota):
                return self.wd_send_error(507, "F000", "Storage limit exceeded")
            chunk = int(cfg.get("chunk_size") or 64 * MiB)
            uid = secrets.token_hex(16)
            path = os.path.join(st.sess_dir, uid)
            open(path, "wb").close()
            t = now_ts()
            s = {"upload_id": uid, "file_size": size, "chunk_size": chunk, "received": 0,
                 "chunks": 0, "total_chunks": (size + chunk - 1) // chunk, "path": path,
                 "sha": hashlib.sha256(), "md5": hashlib.md5(), "parent_id": parent_id,
                 "file_name": name, "name_conflict": conflict, "resource_id": resource_id,
                 "status": "active", "created": t, "expires": t + float(cfg.get("upload_session_ttl_secs") or 86400),
                 "lock": threading.Lock(), "chunk_sha256": []}
            st.sessions[uid] = s
            out = session_answer(s)
        self.wd_send(200, out)

    def wd_session_progress(self):
        st = STATE
        uid = self.qs.get("upload_id") or self.headers.get("upload-id")
        with st.lock:
            s = st.sessions.get(uid or "")
            if not s:
                return self.wd_send_error(404, "D9232", "Invalid upload ID")
            out = session_answer(s)
        self.wd_send(200, out)

    def wd_stream_upload(self):
        st = STATE
        uid = self.headers.get("upload-id")
        with st.lock:
            s = st.sessions.get(uid or "")
        if s is None:
            if self.headers.get("x-filename") and self.headers.get("x-parent_id"):
                return self.wd_stream_whole()
            return self.wd_send_error(400, "D9232", "Upload failed. Invalid upload ID.")
        return self.wd_chunk(s)

    def wd_chunk(self, s):
        st = STATE
        if not s["lock"].acquire(blocking=False):
            return self.wd_send_error(400, "D9233", "Upload failed. Invalid byte range or chunk order.")
        try:
            with st.lock:
                if s["status"] == "completed":
                    return self.wd_send_error(412, "D9235", "Upload failed. Upload session has already been completed.")
                if s["expires"] <= now_ts():
                    return self.wd_send_error(400, "D9234", "Upload failed. Upload session has expired.")
                start = s["received"]
                end = min(start + s["chunk_size"], s["file_size"]) - 1
                total = s["file_size"]
            cr = (self.headers.get("Content-Range") or "").strip()
            m = re.fullmatch(r"bytes\s+(\d+)\s*-\s*(\d+)\s*/\s*(\d+|\*)", cr)
            src = self.body.raw_path
            size = self.body.size
            sha_chunk = self.body.raw_sha256
            part = None
            if src is None and self.body.parts:
                part = self.body.file_part("content") or self.body.parts[0]
                src, size, sha_chunk = part.path, part.size, part.sha256
            bad = (m is None or start >= total or int(m.group(1)) != start
                   or int(m.group(2)) != end or (m.group(3) != "*" and int(m.group(3)) != total))
            try:
                declared = int(self.headers.get("Content-Length")) if part is None else size
            except (TypeError, ValueError):
                declared = size
            if bad or size != end - start + 1 or declared != size or src is None:
                return self.wd_send_error(400, "D9233", "Upload failed. Invalid byte range or chunk order.")
            with open(src, "rb") as fin, open(s["path"], "ab") as fout:
                while True:
                    d = fin.read(256 * 1024)
                    if not d:
                        break
                    fout.write(d)
                    s["sha"].update(d)
                    s["md5"].update(d)
            with st.lock:
                s["received"] += size
                s["chunks"] += 1
                s["chunk_sha256"].append(sha_chunk)
                out = session_answer(s)
            self.wd_send(200, out)
        finally:
            s["lock"].release()

    def wd_session_commit(self, resource_id):
        st = STATE
        p = self._session_params()
        uid = p.get("upload_id") or p.get("upload-id") or self.headers.get("upload-id")
        with st.lock:
            s = st.sessions.get(uid or "")
            if not s:
                return self.wd_send_error(404, "D9232", "Commit session failed. Invalid Upload ID.")
            if s["status"] == "completed":
                return self.wd_send_error(412, "D9235", "Commit session failed. Upload session has already been completed.")
            if s["expires"] <= now_ts():
                return self.wd_send_error(400, "D9234", "Commit session failed. Upload session has expired.")
            if (resource_id or None) != (s["resource_id"] or None):
                return self.wd_send_error(401, "R501", "Given resource-id and upload session resource-id are not the same.")
            if s["received"] != s["file_size"]:
                return self.wd_send_error(412, "D9236", "Commit session failed. Chunks are yet to be uploaded.")
            parent_id, name = s["parent_id"], s["file_name"]
            replace = None
            if s["resource_id"]:
                replace = st.wd_files.get(s["resource_id"])
                if replace is None:
                    return self.wd_send_error(404, "R501", "Resource does not exist")
            else:
                parent = st.wd_files.get(parent_id or "")
                if not parent or parent["status"] != "1":
                    return self.wd_send_error(404, "R503", "Destination folder does not exist")
                existing = self._sibling(parent_id, name)
                if existing is not None:
                    if existing["is_folder"] or s["name_conflict"] not in ("update", "rename"):
                        return self.wd_send_error(409, "R504", "File with the same name already exists")
                    if s["name_conflict"] == "update":
                        replace = existing
                    else:
                        stem, ext = os.path.splitext(name)
                        while self._sibling(parent_id, name):
                            name = f"{stem}_{secrets.token_hex(2)}{ext}"
            quota = st.config.get("workdrive_quota_bytes")
            used = st.wd_bytes() - (replace["size"] if replace else 0)
            if quota is not None and used + s["file_size"] > int(quota):
                return self.wd_send_error(507, "F000", "Storage limit exceeded")
            f = self._store_file(parent_id, name, s["path"], s["file_size"], s["sha"].hexdigest(),
                                 s["md5"].hexdigest(), replace)
            s["status"] = "completed"
            s["resource_id_created"] = f["id"]
            out = self.wd_obj(f)
            out["attributes"]["resource_id"] = f["id"]
            out["attributes"]["upload_id"] = s["upload_id"]
        self.wd_send(200, {"data": out})

    def wd_stream_whole(self):
        """The upload server's stream mode: one request carrying the whole file."""
        st = STATE
        name = urllib.parse.unquote(self.headers.get("x-filename") or "")
        parent_id = self.headers.get("x-parent_id")
        override = str(self.headers.get("x-override-name-exist") or
                       self.headers.get("override-name-exist") or "false").lower() == "true"
        src, size, sha, md5 = self.body.raw_path, self.body.size, self.body.raw_sha256, self.body.raw_md5
        if src is None and self.body.parts:
            part = self.body.file_part("content") or self.body.parts[0]
            src, size, sha, md5 = part.path, part.size, part.sha256, part.md5
        if src is None:
            return self.wd_send_error(400, "D9201", "Upload Failed. File is empty (0 byte).")
        problem = self._name_problem(name)
        if problem:
            return self.wd_send_error(400, "F000", problem)
        with st.lock:
            parent = st.wd_files.get(parent_id or "")
            if not parent or not parent["is_folder"] or parent["status"] != "1":
                return self.wd_send_error(400, "D9214", "Upload Failed. Invalid Parent ID.")
            existing = self._sibling(parent_id, name)
            replace = None
            if existing is not None:
                if override and not existing["is_folder"]:
                    replace = existing
                else:  # the doc: a duplicate name is generated automatically
                    stem, ext = os.path.splitext(name)
                    while self._sibling(parent_id, name):
                        name = f"{stem}_{secrets.token_hex(2)}{ext}"
            quota = st.config.get("workdrive_quota_bytes")
            if quota is not None and st.wd_bytes() + size > int(quota):
                return self.wd_send_error(507, "D9211", "Upload Failed. Storage limit exceeded.")
            f = self._store_file(parent_id, name, src, size, sha, md5, replace)
            if src in self.body.tmpfiles:
                self.body.tmpfiles.remove(src)
            info = json.loads(upload_answer(f)["data"][0]["attributes"]["File INFO"])
        self.wd_send(200, {"data": [{"attributes": {
            "parent_id": f["parent_id"], "file_name": f["name"], "resource_id": f["id"],
            "file_info": json.dumps(info)}, "type": "files"}], "status": "success"})

    def wd_download(self, fid):
        st = STATE
        with st.lock:
            f = st.wd_files.get(fid)
            if not f:
                return self.wd_send_error(404, "R501", "Resource does not exist")
            if f["is_folder"]:
                return self.wd_send_error(400, "F000", "Folder download is not supported")
            path, size, name = f["path"], f["size"], f["name"]
        self.send_file(path, size, name)


# ---------------------------------------------------------------------------------------------
# CRM record logic (called with STATE.lock held)

def canon_module(name):
    if not name:
        return None
    for m in STATE.fields:
        if m.lower() == name.lower():
            return m
    return None


def user_public(u):
    return {"id": u["id"], "email": u["email"], "full_name": u["full_name"],
            "first_name": u.get("first_name"), "last_name": u.get("last_name"),
            "status": u.get("status", "active"), "zuid": u["zuid"], "role": dict(u["role"]),
            "profile": dict(u["profile"]), "confirm": True, "time_zone": "Etc/UTC",
            "locale": "en_US", "language": "en_US", "country_locale": "US"}


def owner_obj(u):
    return {"name": u["full_name"], "id": u["id"], "email": u["email"]}


def field_meta(mod, f, i):
    out = {
        "api_name": f["api_name"], "field_label": f["field_label"],
        "display_label": f["field_label"], "data_type": f["data_type"],
        "system_mandatory": bool(f["mandatory"]), "read_only": bool(f["read_only"]),
        "field_read_only": bool(f["read_only"]), "custom_field": bool(f["custom"]),
        "id": str(int(MODULE_IDS[mod]) + 1000 + 2 * i), "length": f["length"],
        "json_type": {"picklist": "string", "ownerlookup": "jsonobject", "lookup": "jsonobject",
                      "currency": "double", "double": "double", "integer": "integer",
                      "boolean": "boolean", "multiselectpicklist": "jsonarray"}.get(
                          f["data_type"], "string"),
        "pick_list_values": [],
        "lookup": {},
        "visible": True,
    }
    if f["picklist"] is not None:
        out["pick_list_values"] = [
            {"display_value": v, "actual_value": v, "sequence_number": n + 1,
             "id": str(int(MODULE_IDS[mod]) + 500000 + 100 * i + n), "type": "used",
             "colour_code": None} for n, v in enumerate(f["picklist"])]
    lk = f["lookup"]
    if isinstance(lk, str) and lk in MODULE_IDS:
        out["lookup"] = {"module": {"api_name": lk, "id": MODULE_IDS[lk]}, "display_label": lk}
    elif isinstance(lk, list):
        out["lookup"] = {"module": {"api_name": lk[0], "id": MODULE_IDS.get(lk[0])},
                         "display_label": lk[0]}
    return out


def display_name(mod, data):
    if mod in ("Leads", "Contacts"):
        return " ".join(x for x in (data.get("First_Name"), data.get("Last_Name"))
                        if isinstance(x, str) and x).strip()
    v = data.get(DISPLAY_FIELD.get(mod, ""))
    return v if isinstance(v, str) else ""


def recompute(mod, rec):
    d = rec["data"]
    if mod in ("Leads", "Contacts"):
        d["Full_Name"] = display_name(mod, d)


def touch(rec, user):
    t = max(now_ts(), rec["mtime"] + 1)
    rec["mtime"] = t
    rec["data"]["Modified_Time"] = iso(t)
    rec["data"]["Modified_By"] = owner_obj(user)


def full_record(mod, rec):
    out = {}
    for f in STATE.fields[mod]:
        out[f["api_name"]] = None
    if mod == "Tasks":
        out["$se_module"] = None
    if mod == "Notes":
        out["$se_module"] = None
    out.update(json.loads(json.dumps(rec["data"])))
    return out


def public_record(mod, rec):
    return json.loads(json.dumps(rec["data"]))


def project(rec, fields):
    names = [x.strip() for x in str(fields).split(",") if x.strip()]
    out = {n: rec.get(n) for n in names}
    out["id"] = rec.get("id")
    return out


def sort_records(recs, sort_by, order):
    if sort_by == "Modified_Time":
        key = lambda r: (r["mtime"], int(r["data"]["id"]))  # noqa: E731
    elif sort_by == "Created_Time":
        key = lambda r: (r["ctime"], int(r["data"]["id"]))  # noqa: E731
    else:
        key = lambda r: int(r["data"]["id"])  # noqa: E731
    return sorted(recs, key=key, reverse=(order == "desc"))


def success_item(rec, message):
    d = rec["data"]
    mb, cb = d.get("Modified_By") or {}, d.get("Created_By") or {}
    return {"code": "SUCCESS", "details": {
        "Modified_Time": d["Modified_Time"], "Modified_By": {"name": mb.get("name"), "id": mb.get("id")},
        "Created_Time": d["Created_Time"], "id": d["id"],
        "Created_By": {"name": cb.get("name"), "id": cb.get("id")}},
        "message": message, "status": "success"}


def _order_item(r):
    keys = ["code", "duplicate_field", "action", "details", "message", "status"]
    return {k: r[k] for k in keys if k in r}


def attachment_public(a):
    u = a["user"]
    mod = a["module"]
    parent = STATE.records.get(mod, {}).get(a["parent_id"])
    return {
        "id": a["id"], "File_Name": a["file_name"], "Size": str(a["size"]),
        "Created_Time": iso(a["ctime"]), "Modified_Time": iso(a["mtime"]),
        "Owner": owner_obj(u), "Created_By": owner_obj(u), "Modified_By": owner_obj(u),
        "Parent_Id": {"name": display_name(mod, parent["data"]) if parent else None,
                      "id": a["parent_id"]},
        "$se_module": mod, "$file_id": "fake" + a["id"], "$type": "Attachment",
        "$editable": True, "$state": "save", "$link_url": a["link_url"],
        "$attachment_type": 1, "$sharing_permission": "full_access",
        "sha256": a["sha256"],
    }


def values_equal(stored, given):
    if isinstance(stored, dict):
        gid = given.get("id") if isinstance(given, dict) else given
        return str(stored.get("id")) == str(gid)
    if isinstance(stored, str) and isinstance(given, str):
        return stored.strip().lower() == given.strip().lower()
    return stored == given and stored is not None


EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _invalid(f, i, extra=None):
    d = {"api_name": f, "json_path": f"$.data[{i}].{f}"}
    d.update(extra or {})
    return crm_error("INVALID_DATA", "invalid data", d)


def _mandatory(f, i):
    return crm_error("MANDATORY_NOT_FOUND", "required field not found",
                     {"api_name": f, "json_path": f"$.data[{i}].{f}"})


def resolve_lookup(target_mods, value):
    """-> (module, record) or (None, None)."""
    rid = value.get("id") if isinstance(value, dict) else value
    if rid is None or not re.fullmatch(r"\d+", str(rid)):
        return None, None
    for tm in target_mods:
        rec = STATE.records.get(tm, {}).get(str(rid))
        if rec:
            return tm, rec
    return None, None


def check_value(mod, f, value, i, item):
    """-> (clean value, error)."""
    fname, dtype = f["api_name"], f["data_type"]
    if value is None:
        return None, None
    if dtype == "ownerlookup":
        uid = value.get("id") if isinstance(value, dict) else value
        u = STATE.find_user(uid) if uid is not None else None
        if not u:
            return None, _invalid(fname, i, {"expected_data_type": "jsonobject"})
        return owner_obj(u), None
    if dtype == "lookup":
        lk = f["lookup"]
        if fname == "Parent_Id" and mod == "Notes":
            pm = None
            if isinstance(value, dict) and isinstance(value.get("module"), dict):
                pm = value["module"].get("api_name")
            pm = pm or item.get("$se_module")
            pmod = canon_module(pm) if isinstance(pm, str) else None
            if not pmod or pmod == "Notes":
                return None, _invalid(fname, i, {"expected_data_type": "jsonobject"})
            tm, rec = resolve_lookup([pmod], value)
            if not rec:
                return None, _invalid(fname, i, {"expected_data_type": "jsonobject"})
            return {"module": {"api_name": tm, "id": MODULE_IDS[tm]}, "id": rec["data"]["id"],
                    "name": display_name(tm, rec["data"])}, None
        if lk == "$se_module":
            se = item.get("$se_module")
            if not se:
                return None, _mandatory("$se_module", i)
            smod = canon_module(se)
            targets = [smod] if smod else []
        elif isinstance(lk, list):
            targets = lk
        else:
            targets = [canon_module(lk)] if lk and canon_module(lk) else []
        tm, rec = resolve_lookup(targets, value)
        if not rec:
            return None, _invalid(fname, i, {"expected_data_type": "jsonobject"})
        return {"id": rec["data"]["id"], "name": display_name(tm, rec["data"])}, None
    if dtype in ("picklist",):
        if not isinstance(value, str) or value not in (f["picklist"] or []):
            return None, _invalid(fname, i, {"expected_data_type": "picklist"})
        return value, None
    if dtype == "multiselectpicklist":
        if not isinstance(value, list) or any(v not in (f["picklist"] or []) for v in value):
            return None, _invalid(fname, i, {"expected_data_type": "jsonarray"})
        return value, None
    if dtype in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, _invalid(fname, i, {"expected_data_type": dtype})
        if dtype in ("integer", "bigint", "long") and not float(value).is_integer():
            return None, _invalid(fname, i, {"expected_data_type": dtype})
        return value, None
    if dtype == "boolean":
        if not isinstance(value, bool):
            return None, _invalid(fname, i, {"expected_data_type": "boolean"})
        return value, None
    if dtype == "date":
        ok = isinstance(value, str) and DATE_RE.match(value)
        if ok:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                ok = False
        if not ok:
            return None, _invalid(fname, i, {"expected_data_type": "date"})
        return value, None
    if dtype == "datetime":
        ok = isinstance(value, str) and re.match(
            r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$", value)
        if ok:
            try:
                dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                ok = False
        if not ok:
            return None, _invalid(fname, i, {"expected_data_type": "datetime"})
        return value, None
    # text-like
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and dtype == "phone":
            value = str(value)
        else:
            return None, _invalid(fname, i, {"expected_data_type": "string"})
    if len(value) > int(f.get("length") or 255):
        return None, _invalid(fname, i, {"maximum_length": f.get("length")})
    if dtype == "email" and value and not EMAIL_RE.match(value):
        return None, _invalid(fname, i, {"expected_data_type": "email"})
    return value, None


def validate_item(mod, item, i, existing, batch):
    """-> (clean field dict, error item).  existing: the record being updated, or None."""
    st = STATE
    meta = {f["api_name"]: f for f in st.fields[mod]}
    clean = {}
    # mandatory fields
    for f in st.fields[mod]:
        if not f["mandatory"] or f["read_only"]:
            continue
        present = f["api_name"] in item
        v = item.get(f["api_name"])
        empty = v is None or (isinstance(v, str) and not v.strip())
        if existing is None and (not present or empty):
            return None, _mandatory(f["api_name"], i)
        if existing is not None and present and empty:
            return None, _mandatory(f["api_name"], i)
    for k, v in item.items():
        if k in ("$se_module",):
            continue
        if k.startswith("$"):
            continue
        f = meta.get(k)
        if f is None:
            if st.config.get("strict_fields"):
                return None, _invalid(k, i)
            continue
        if f["read_only"]:
            continue
        val, err = check_value(mod, f, v, i, item)
        if err:
            return None, err
        clean[k] = val
    if "$se_module" in item and "What_Id" in clean:
        clean["$se_module"] = canon_module(item["$se_module"])
    if mod == "Notes" and "Parent_Id" in clean:
        clean["$se_module"] = clean["Parent_Id"]["module"]["api_name"]
    # unique fields
    uniq = (st.config.get("unique_fields") or {}).get(mod) or []
    for uf in uniq:
        v = clean.get(uf)
        if v in (None, ""):
            continue
        pool = list(st.records[mod].values())
        for rec in pool:
            if existing is not None and rec is existing:
                continue
            if values_equal(rec["data"].get(uf), v):
                owner = rec["data"].get("Owner") or {}
                return None, crm_error("DUPLICATE_DATA", "duplicate data", {
                    "api_name": uf, "json_path": f"$.data[{i}].{uf}",
                    "duplicate_record": {
                        "id": rec["data"]["id"],
                        "Owner": {"name": owner.get("name"), "id": owner.get("id"),
                                  "email": owner.get("email")},
                        "module": {"api_name": mod, "id": MODULE_IDS[mod]}}})
    return clean, None


def create_record(mod, clean, user, ctime=None):
    st = STATE
    t = ctime if ctime is not None else now_ts()
    rid = st.next_id()
    data = {"id": rid}
    data.update(clean)
    if "Owner" in [f["api_name"] for f in st.fields[mod]] and not data.get("Owner"):
        data["Owner"] = owner_obj(user)
    data["Created_By"] = owner_obj(user)
    data["Modified_By"] = owner_obj(user)
    data["Created_Time"] = iso(t)
    data["Modified_Time"] = iso(t)
    rec = {"data": data, "ctime": t, "mtime": t}
    recompute(mod, rec)
    st.records[mod][rid] = rec
    return rec


def apply_update(mod, rec, clean, user):
    for k, v in clean.items():
        rec["data"][k] = v
    recompute(mod, rec)
    touch(rec, user)


def resolve_seed_value(mod, k, v):
    f = next((x for x in STATE.fields[mod] if x["api_name"] == k), None)
    if f is None or v is None:
        return v
    if f["data_type"] == "ownerlookup":
        uid = v.get("id") if isinstance(v, dict) else v
        u = STATE.find_user(uid)
        return owner_obj(u) if u else v
    if f["data_type"] == "lookup" and (isinstance(v, dict) or isinstance(v, str)):
        if mod == "Notes" and k == "Parent_Id" and isinstance(v, dict):
            pm = canon_module((v.get("module") or {}).get("api_name") or "")
            tm, rec = resolve_lookup([pm] if pm else list(MODULE_IDS), v)
            if rec:
                return {"module": {"api_name": tm, "id": MODULE_IDS[tm]}, "id": rec["data"]["id"],
                        "name": display_name(tm, rec["data"])}
            return v
        lk = f["lookup"]
        targets = lk if isinstance(lk, list) else ([canon_module(lk)] if lk and canon_module(lk)
                                                   else list(MODULE_IDS))
        tm, rec = resolve_lookup([t for t in targets if t], v)
        if rec:
            return {"id": rec["data"]["id"], "name": display_name(tm, rec["data"])}
    return v


def seed_record(mod, fields):
    """POST /_fake/records/{Module}: no validation; lookups resolved; times may be given."""
    t = now_ts()
    ct = parse_time_header(fields.get("Created_Time")) if fields.get("Created_Time") else None
    mt = parse_time_header(fields.get("Modified_Time")) if fields.get("Modified_Time") else None
    clean = {}
    for k, v in fields.items():
        if k in ("id", "Created_Time", "Modified_Time", "Created_By", "Modified_By"):
            continue
        clean[k] = resolve_seed_value(mod, k, v)
    rec = create_record(mod, clean, ADMIN, ctime=ct if ct is not None else t)
    if mt is not None:
        rec["mtime"] = mt
        rec["data"]["Modified_Time"] = iso(mt)
    if mod == "Notes" and isinstance(rec["data"].get("Parent_Id"), dict):
        pm = (rec["data"]["Parent_Id"].get("module") or {}).get("api_name")
        if pm:
            rec["data"]["$se_module"] = pm
    return rec


# ---- search criteria ---------------------------------------------------------------------

def _split_unescaped(s, sep, maxsplit=-1):
    out, cur, i, n = [], [], 0, 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            cur.append(s[i:i + 2])
            i += 2
            continue
        if c == sep and (maxsplit < 0 or n < maxsplit):
            out.append("".join(cur))
            cur = []
            n += 1
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


def _unescape(s):
    return re.sub(r"\\(.)", r"\1", s)


def parse_criteria(text):
    """-> (tree, number of conditions).  tree: ('cond', field, op, [values]) | ('and'|'or', a, b)."""
    s = text.strip()
    pos = 0
    count = 0

    def skip_ws():
        nonlocal pos
        while pos < len(s) and s[pos].isspace():
            pos += 1

    def parse_expr():
        nonlocal pos
        left = parse_and()
        while True:
            skip_ws()
            if s[pos:pos + 2].lower() == "or":
                pos += 2
                right = parse_and()
                left = ("or", left, right)
            else:
                return left

    def parse_and():
        nonlocal pos
        left = parse_group()
        while True:
            skip_ws()
            if s[pos:pos + 3].lower() == "and":
                pos += 3
                right = parse_group()
                left = ("and", left, right)
            else:
                return left

    def parse_group():
        nonlocal pos, count
        skip_ws()
        if pos >= len(s) or s[pos] != "(":
            raise ValueError("expected '(' at %d" % pos)
        pos += 1
        skip_ws()
        if pos < len(s) and s[pos] == "(":
            inner = parse_expr()
            skip_ws()
            if pos >= len(s) or s[pos] != ")":
                raise ValueError("expected ')' at %d" % pos)
            pos += 1
            return inner
        start = pos
        while pos < len(s):
            if s[pos] == "\\":
                pos += 2
                continue
            if s[pos] == ")":
                break
            if s[pos] == "(":
                raise ValueError("unescaped '(' in condition")
            pos += 1
        if pos >= len(s):
            raise ValueError("unterminated condition")
        body = s[start:pos]
        pos += 1
        pieces = _split_unescaped(body, ":", 2)
        if len(pieces) != 3 or not pieces[0].strip() or not pieces[1].strip():
            raise ValueError("condition must be (field:operator:value)")
        field_, op, value = pieces[0].strip(), pieces[1].strip().lower(), pieces[2]
        if op not in ("equals", "not_equal", "starts_with", "in", "not_in", "greater_than",
                      "greater_equal", "less_than", "less_equal", "between"):
            raise ValueError("unsupported operator " + op)
        values = [_unescape(v) for v in _split_unescaped(value, ",")]
        count += 1
        return ("cond", field_, op, values)

    tree = parse_expr()
    skip_ws()
    if pos != len(s):
        raise ValueError("trailing text at %d" % pos)
    return tree, count


def criteria_fields(tree):
    if tree[0] == "cond":
        return [tree[1]]
    return criteria_fields(tree[1]) + criteria_fields(tree[2])


def _cmp_values(stored):
    """The strings a stored value can be compared as."""
    if stored is None:
        return []
    if isinstance(stored, dict):
        return [str(stored.get("id"))] + ([str(stored["name"])] if stored.get("name") else [])
    if isinstance(stored, bool):
        return [str(stored).lower()]
    return [str(stored)]


def _num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def eval_criteria(tree, data, meta):
    kind = tree[0]
    if kind == "and":
        return eval_criteria(tree[1], data, meta) and eval_criteria(tree[2], data, meta)
    if kind == "or":
        return eval_criteria(tree[1], data, meta) or eval_criteria(tree[2], data, meta)
    _, field_, op, values = tree
    base, _, sub = field_.partition(".")
    stored = data.get(base)
    if sub and isinstance(stored, dict):
        stored = stored.get(sub)
    cands = [c.lower() for c in _cmp_values(stored)]
    vals = [v.lower().strip() for v in values]
    if op in ("equals", "in"):
        if not cands:
            return any(v in ("", "null", "${empty}") for v in vals)
        return any(c.strip() == v for c in cands for v in vals)
    if op in ("not_equal", "not_in"):
        return not any(c.strip() == v for c in cands for v in vals)
    if op == "starts_with":
        return any(c.startswith(v) for c in cands for v in vals)
    a = stored if not isinstance(stored, dict) else None
    if a is None:
        return False
    x, y = _num(a), _num(values[0])
    if x is None or y is None:
        x, y = str(a), values[0]
    if op == "greater_than":
        return x > y
    if op == "greater_equal":
        return x >= y
    if op == "less_than":
        return x < y
    if op == "less_equal":
        return x <= y
    if op == "between" and len(values) == 2:
        lo, hi = _num(values[0]), _num(values[1])
        if _num(a) is not None and lo is not None and hi is not None:
            return lo <= _num(a) <= hi
        return values[0] <= str(a) <= values[1]
    return False


# ---- WorkDrive objects ---------------------------------------------------------------------

def wd_type(f):
    if f["is_folder"]:
        return "folder"
    ext = os.path.splitext(f["name"])[1].lower().lstrip(".")
    return {"pdf": "pdf", "png": "image", "jpg": "image", "jpeg": "image", "gif": "image",
            "zip": "zip", "txt": "text", "csv": "spreadsheet", "xlsx": "spreadsheet",
            "docx": "document", "doc": "document", "mp4": "video", "mov": "video"}.get(ext, "file")


def wd_file_obj(f):
    st = STATE
    base = st.base
    kids = [x for x in st.wd_files.values() if x["parent_id"] == f["id"] and x["status"] == "1"]
    attrs = {
        "name": f["name"], "display_attr_name": f["name"], "type": wd_type(f),
        "extn": "" if f["is_folder"] else os.path.splitext(f["name"])[1].lstrip("."),
        "is_folder": f["is_folder"], "parent_id": f["parent_id"], "status": f["status"],
        "is_trashed": f["status"] == "51",
        "permalink": f"{base}/{'folder' if f['is_folder'] else 'file'}/{f['id']}",
        "download_url": f"{base}/v1/workdrive/download/{f['id']}",
        "created_time": iso(f["ctime"]), "modified_time": iso(f["mtime"]),
        "created_time_in_millisecond": int(f["ctime"] * 1000),
        "modified_time_in_millisecond": int(f["mtime"] * 1000),
        "uploaded_time_in_millisecond": int(f["mtime"] * 1000),
        "created_by": ADMIN["full_name"], "modified_by": ADMIN["full_name"],
        "storage_info": {
            "size_in_bytes": f["size"], "size": human_size(f["size"]),
            "files_count": sum(1 for k in kids if not k["is_folder"]),
            "folders_count": sum(1 for k in kids if k["is_folder"]),
        },
    }
    if not f["is_folder"]:
        attrs["content_type"] = mimetypes.guess_type(f["name"])[0] or "application/octet-stream"
    return {"id": f["id"], "type": "files", "attributes": attrs,
            "links": {"self": f"{base}/workdrive/api/v1/files/{f['id']}"}}


def upload_answer(f):
    info = {
        "ORG_ID": DEFAULT_ORG["zgid"], "RESOURCE_ID": f["id"], "LIBRARY_ID": STATE.teamfolder_id,
        "MD5_CHECKSUM": f["md5"], "PARENT_MODEL_ID": f["parent_id"], "PARENT_ID": f["parent_id"],
        "RESOURCE_TYPE": 2001, "WMS_SENT_TIME": str(int(now_ts() * 1000)),
        "OWNER": ADMIN["zuid"], "RESOURCE_GROUP": "FILES", "PARENT_MODEL_NAME": "files",
        "size": f["size"], "OPERATION": "UPLOAD", "ZUID": int(ADMIN["zuid"]),
        "TEAM_ID": "wd0team0fake", "EVENT_ID": secrets.token_hex(8),
        "AUDIT_INFO": {"resource": {"name": f["name"], "created_time": int(f["ctime"] * 1000),
                                    "extension": os.path.splitext(f["name"])[1].lstrip(".")}},
    }
    return {"data": [{"attributes": {
        "resource_id": f["id"], "parent_id": f["parent_id"], "FileName": f["name"],
        "Permalink": f"{STATE.base}/file/{f['id']}", "File INFO": json.dumps(info)},
        "type": "files"}]}


def session_attrs(s):
    remaining = s["total_chunks"] - s["chunks"]
    nxt = None
    if s["received"] < s["file_size"] and s["status"] == "active":
        start = s["received"]
        end = min(start + s["chunk_size"], s["file_size"]) - 1
        nxt = f"bytes {start}-{end}/{s['file_size']}"
    return {
        "upload_id": s["upload_id"], "chunk_size": s["chunk_size"],
        "total_chunks": s["total_chunks"], "chunks_uploaded": s["chunks"],
        "remaining_chunks": remaining, "bytes_received": s["received"],
        "next_chunk": nxt, "next_chunk_number": (s["chunks"] + 1) if nxt else None,
        "file_size": s["file_size"], "file_name": s["file_name"], "parent_id": s["parent_id"],
        "resource_id": s.get("resource_id_created") or s["resource_id"],
        "status": s["status"], "expiry_time": iso(s["expires"]),
        "expiry_time_in_millisecond": int(s["expires"] * 1000),
    }


def session_answer(s):
    return {"data": {"id": s["upload_id"], "type": "uploadsession",
                     "attributes": session_attrs(s)}}


# ---------------------------------------------------------------------------------------------
# misc

def _append_query(url, params):
    sep = "&" if "?" in url else "?"
    return url + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)


def _order_token_answer(a):
    order = ["access_token", "refresh_token", "scope", "api_domain", "token_type",
             "expires_in_sec", "expires_in"]
    return {k: a[k] for k in order if k in a}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    global STATE
    ap = argparse.ArgumentParser(description="Local fake of Zoho Accounts, CRM v8 and WorkDrive.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--state-dir", default=None)
    ap.add_argument("--client-id", default="1000.FAKECLIENT0001")
    ap.add_argument("--client-secret", default="fake-client-secret")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    own_dir = args.state_dir is None
    state_dir = tempfile.mkdtemp(prefix="zoho-fake-") if own_dir else args.state_dir
    os.makedirs(state_dir, exist_ok=True)

    Handler.verbose = args.verbose
    server = Server((args.host, args.port), Handler)
    host = args.host if ":" not in args.host else f"[{args.host}]"
    base = f"http://{host}:{server.server_address[1]}"
    STATE = FakeState(base, state_dir, args.client_id, args.client_secret)

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write(f"LISTENING {base}\n")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if own_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
