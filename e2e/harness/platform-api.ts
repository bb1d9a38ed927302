// The platform's JSON API as the e2e suites call it: one request, its status and its parsed body
// (the raw text when the body is not JSON, e.g. an NGINX error page).
export interface ApiResponse {
  status: number;
  json: any;
}

export async function callApi(baseUrl: string, method: string, route: string, body?: unknown, bearer?: string): Promise<ApiResponse> {
  const res = await fetch(`${baseUrl}${route}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
