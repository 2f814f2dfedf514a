import { randomBytes, X509Certificate } from "node:crypto";
import { isUuid, newId, nowMs, timestamp } from "../clock.js";
import type { SandboxContext } from "../context.js";
import { alreadyExists, invalidArgument, notFound } from "../errors.js";
import { Fields } from "../fields.js";
import { findById } from "../lookup.js";
import { ordersBy, paginate } from "../pagination.js";
import type { Router } from "../router.js";

/** IAM v1alpha1 single sign-on of an organization: its SAML configuration and certificates, its SCIM endpoint and tokens. */

/** iam/v1alpha1 Saml, as recorded; `status` is derived from what is configured. */
export interface Saml {
  id: string;
  status: "valid" | "missing_certificate" | "missing_entity_id" | "missing_single_sign_on_url";
  service_provider: { entity_id: string; assertion_consumer_service_url: string };
  entity_id: string;
  single_sign_on_url: string;
}

interface StoredSaml extends Saml {
  organization_id: string;
}

export interface SamlCertificate {
  id: string;
  type: "signing" | "encryption";
  origin: "identity_provider" | "scaleway";
  content: string;
  expires_at: string;
}

interface StoredCertificate extends SamlCertificate {
  saml_id: string;
}

export interface Scim {
  id: string;
  created_at: string;
}

interface StoredScim extends Scim {
  organization_id: string;
}

/** A SCIM token as listed; its bearer secret is answered once, at creation, and never kept. */
export interface ScimToken {
  id: string;
  scim_id: string;
  created_at: string;
  expires_at: string;
}

export const SAMLS = "iam.saml";
export const SAML_CERTIFICATES = "iam.saml_certificates";
export const SCIMS = "iam.scim";
export const SCIM_TOKENS = "iam.scim_tokens";

const YEAR_MS = 365 * 24 * 3600 * 1000;

export function iamSsoRoutes(router: Router, ctx: SandboxContext): void {
  const samls = () => ctx.store.collection<StoredSaml>(SAMLS);
  const certs = () => ctx.store.collection<StoredCertificate>(SAML_CERTIFICATES);
  const scims = () => ctx.store.collection<StoredScim>(SCIMS);
  const tokens = () => ctx.store.collection<ScimToken>(SCIM_TOKENS);
  const base = "/iam/v1alpha1";
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };
  const orgId = (id: string | undefined): string => {
    if (!id || !isUuid(id)) throw invalidArgument("organization_id", "format", "must be a UUID");
    return id;
  };
  const certsOf = (samlId: string) =>
    certs()
      .all()
      .filter((c) => c.saml_id === samlId);
  const samlWire = (s: StoredSaml): Saml => ({
    id: s.id,
    status:
      certsOf(s.id).length === 0
        ? "missing_certificate"
        : s.entity_id === ""
          ? "missing_entity_id"
          : s.single_sign_on_url === ""
            ? "missing_single_sign_on_url"
            : "valid",
    service_provider: s.service_provider,
    entity_id: s.entity_id,
    single_sign_on_url: s.single_sign_on_url,
  });
  const findSaml = (id: string | undefined): StoredSaml =>
    findById(
      (i) => samls().get(i),
      id,
      () => notFound("saml", id ?? ""),
    );
  const findScim = (id: string | undefined): StoredScim =>
    findById(
      (i) => scims().get(i),
      id,
      () => notFound("scim", id ?? ""),
    );
  const certWire = ({ saml_id: _s, ...c }: StoredCertificate): SamlCertificate => c;

  // SAML.
  router.add("GET", `${base}/organizations/{organization_id}/saml`, (req) => {
    const org = orgId(req.params.organization_id);
    const s = samls()
      .all()
      .find((x) => x.organization_id === org);
    if (!s) throw notFound("organization_saml", org);
    return { body: samlWire(s) };
  });

  router.add("POST", `${base}/organizations/{organization_id}/saml`, async (req) => {
    const org = orgId(req.params.organization_id);
    if (
      samls()
        .all()
        .some((x) => x.organization_id === org)
    )
      throw alreadyExists("organization_saml", org, "SAML is already enabled");
    const id = newId();
    const saml: StoredSaml = {
      id,
      status: "missing_certificate",
      service_provider: {
        entity_id: `https://iam.scaleway.com/saml/${id}`,
        assertion_consumer_service_url: `https://api.scaleway.com/iam/v1/saml/${id}/login`,
      },
      entity_id: "",
      single_sign_on_url: "",
      organization_id: org,
    };
    samls().put(id, saml);
    return save(samlWire(saml));
  });

  router.add("PATCH", `${base}/saml/{saml_id}`, async (req) => {
    const saml = findSaml(req.params.saml_id);
    const f = new Fields(req.body);
    const entityId = f.string("entity_id");
    const sso = f.string("single_sign_on_url");
    f.check();
    const updated: StoredSaml = { ...saml, entity_id: entityId ?? saml.entity_id, single_sign_on_url: sso ?? saml.single_sign_on_url };
    samls().put(saml.id, updated);
    return save(samlWire(updated));
  });

  router.add("DELETE", `${base}/saml/{saml_id}`, async (req) => {
    const saml = findSaml(req.params.saml_id);
    samls().delete(saml.id);
    for (const c of certsOf(saml.id)) certs().delete(c.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("GET", `${base}/saml/{saml_id}/certificates`, (req) => {
    const saml = findSaml(req.params.saml_id);
    return { body: { certificates: certsOf(saml.id).map(certWire) } };
  });

  router.add("POST", `${base}/saml/{saml_id}/certificates`, async (req) => {
    const saml = findSaml(req.params.saml_id);
    const f = new Fields(req.body);
    const type = f.oneOf("type", ["signing", "encryption"] as const, "signing");
    const content = f.string("content", { required: true });
    f.check();
    let expires: string;
    try {
      // The certificate is read for real: its expiry is its notAfter.
      expires = timestamp(Date.parse(new X509Certificate(content).validTo));
    } catch {
      throw invalidArgument("content", "format", "must be a PEM-encoded X.509 certificate");
    }
    const cert: StoredCertificate = { id: newId(), type, origin: "identity_provider", content, expires_at: expires, saml_id: saml.id };
    certs().put(cert.id, cert);
    return save(certWire(cert));
  });

  router.add("GET", `${base}/saml-certificates/{certificate_id}`, (req) => {
    const id = req.params.certificate_id;
    const cert = id && isUuid(id) ? certs().get(id) : undefined;
    if (!cert) throw notFound("saml_certificate", id ?? "");
    return { body: certWire(cert) };
  });

  router.add("DELETE", `${base}/saml-certificates/{certificate_id}`, async (req) => {
    const id = req.params.certificate_id;
    const cert = id && isUuid(id) ? certs().get(id) : undefined;
    if (!cert) throw notFound("saml_certificate", id ?? "");
    certs().delete(cert.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  // SCIM.
  router.add("GET", `${base}/organizations/{organization_id}/scim`, (req) => {
    const org = orgId(req.params.organization_id);
    const s = scims()
      .all()
      .find((x) => x.organization_id === org);
    if (!s) throw notFound("organization_scim", org);
    return { body: { id: s.id, created_at: s.created_at } };
  });

  router.add("POST", `${base}/organizations/{organization_id}/scim`, async (req) => {
    const org = orgId(req.params.organization_id);
    if (
      scims()
        .all()
        .some((x) => x.organization_id === org)
    )
      throw alreadyExists("organization_scim", org, "SCIM is already enabled");
    const scim: StoredScim = { id: newId(), created_at: timestamp(), organization_id: org };
    scims().put(scim.id, scim);
    return save({ id: scim.id, created_at: scim.created_at });
  });

  router.add("DELETE", `${base}/scim/{scim_id}`, async (req) => {
    const scim = findScim(req.params.scim_id);
    scims().delete(scim.id);
    for (const t of tokens().all()) if (t.scim_id === scim.id) tokens().delete(t.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("GET", `${base}/scim/{scim_id}/tokens`, (req) => {
    const scim = findScim(req.params.scim_id);
    const mine = tokens()
      .all()
      .filter((t) => t.scim_id === scim.id);
    const page = paginate(req.query, mine, ordersBy<ScimToken>({ created_at: (t) => t.created_at }), "created_at_asc");
    return { body: { scim_tokens: page.items, total_count: page.total } };
  });

  router.add("POST", `${base}/scim/{scim_id}/tokens`, async (req) => {
    const scim = findScim(req.params.scim_id);
    const now = nowMs();
    const token: ScimToken = { id: newId(), scim_id: scim.id, created_at: timestamp(now), expires_at: timestamp(now + YEAR_MS) };
    tokens().put(token.id, token);
    // Recorded shape: base64 of the token id, a dot, a random secret.
    const bearer = `${Buffer.from(token.id).toString("base64").replace(/=+$/, "")}.${randomBytes(48).toString("base64url")}`;
    return save({ token, bearer_token: bearer });
  });

  router.add("DELETE", `${base}/scim-tokens/{token_id}`, async (req) => {
    const id = req.params.token_id;
    const token = id && isUuid(id) ? tokens().get(id) : undefined;
    if (!token) throw notFound("scim_token", id ?? "");
    tokens().delete(token.id);
    await ctx.store.flush();
    return { status: 204 };
  });
}
