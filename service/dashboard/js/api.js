// The one way the dashboard talks to Clarion: the public REST API, with the user's key.
//
// A call that answers 401 asks for an API key (a modal dialog), keeps it in
// sessionStorage (this tab only) and tries again; every later call sends it as
// `Authorization: Bearer <key>`. With CLARION_AUTH=off nothing answers 401, so
// nothing is asked. Errors are thrown as ApiError with the RFC 9457 problem body.

const KEY_STORAGE = "clarion.apiKey";
const MAX_KEY_PROMPTS = 3; // then give up and show the 401: a wrong key is not retried forever

export class ApiError extends Error {
  constructor(status, problem) {
    const detail = (problem && (problem.detail || problem.title)) || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem || {};
  }
}

let pendingKey = null;

function askForKey(reason) {
  if (pendingKey) return pendingKey;
  const dialog = document.getElementById("key-dialog");
  const form = document.getElementById("key-form");
  const input = document.getElementById("key-input");
  document.getElementById("key-reason").textContent = reason;
  input.value = "";
  pendingKey = new Promise((resolve) => {
    const done = (event) => {
      event.preventDefault();
      const key = input.value.trim();
      if (!key) return;
      form.removeEventListener("submit", done);
      dialog.close();
      pendingKey = null;
      resolve(key);
    };
    form.addEventListener("submit", done);
    dialog.addEventListener("cancel", (event) => event.preventDefault()); // a key is needed
    dialog.showModal();
    input.focus();
  });
  return pendingKey;
}

export function currentKey() {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
}

/** The URL of `path` with `query` (arrays repeat the name; empty values are left out). */
export function apiUrl(path, query = {}) {
  const url = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v !== undefined && v !== null && v !== "") url.searchParams.append(name, String(v));
    }
  }
  return url;
}

/**
 * Call the API. Options: method, query, json (a body sent as JSON), body + contentType
 * (a raw body), as: "json" (default) | "text" | "blob" | "none".
 */
export async function api(path, { method = "GET", query, json, body, contentType, accept, as = "json" } = {}) {
  const url = apiUrl(path, query);
  let payload = body;
  const headers = {};
  if (json !== undefined) {
    payload = JSON.stringify(json);
    headers["Content-Type"] = "application/json";
  } else if (contentType) {
    headers["Content-Type"] = contentType;
  }
  if (accept) headers.Accept = accept;
  for (let prompt = 0; ; prompt++) {
    const key = currentKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    else delete headers.Authorization;
    const response = await fetch(url, { method, headers, body: payload });
    if (response.status === 401 && prompt < MAX_KEY_PROMPTS) {
      const problem = await response.json().catch(() => ({}));
      forgetKey();
      const reason = key
        ? `That key was refused (${problem.detail || "401"}). Enter another.`
        : "This Clarion needs an API key to answer.";
      sessionStorage.setItem(KEY_STORAGE, await askForKey(reason));
      continue;
    }
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new ApiError(response.status, problem);
    }
    if (as === "none" || response.status === 204) return null;
    if (as === "text") return response.text();
    if (as === "blob") return response.blob();
    return response.json();
  }
}

/** Like `api`, but a 404 (an endpoint this Clarion does not have) answers null. */
export async function optional(path, options) {
  try {
    return await api(path, options);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}
