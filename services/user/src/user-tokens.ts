import type { AuthUser, Clock, IdGenerator, Sql } from '@campusg/platform';
import { jwtVerify, SignJWT } from 'jose';
import type { UserRow } from './user.ts';

/** Signed, expiring session tokens (HS256 JWTs), revocable one by one on logout. */
export class TokenService {
  readonly #key: Uint8Array;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
  ) {
    this.#key = new TextEncoder().encode(secret);
  }

  async issue(user: Pick<UserRow, 'id'>): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setJti(this.ids.uuid())
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .setIssuer('campusg')
      .sign(this.#key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** The token's subject and id when the signature and expiry hold; `null` otherwise. */
  async verify(token: string): Promise<{ userId: string; tokenId: string; expiresAt: Date } | null> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        issuer: 'campusg',
        algorithms: ['HS256'],
        currentDate: this.clock.now(),
      });
      if (!payload.sub || !payload.jti || !payload.exp) return null;
      return { userId: payload.sub, tokenId: payload.jti, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return null;
    }
  }
}

/** Checks a token against the signature, expiry, the revocation list and the user table. */
export async function authenticateToken(db: Sql, tokens: TokenService, token: string): Promise<AuthUser | null> {
  const claims = await tokens.verify(token);
  if (!claims || !/^[0-9a-f-]{36}$/i.test(claims.tokenId) || !/^[0-9a-f-]{36}$/i.test(claims.userId)) return null;
  const rows = await db.query<{ id: string; name: string; roles: AuthUser['roles']; revoked: boolean }>(
    `select u.id, u.name, u.roles, exists(select 1 from users.revoked_tokens r where r.jti = $2) as revoked
     from users.users u where u.id = $1`,
    [claims.userId, claims.tokenId],
  );
  const row = rows[0];
  if (!row || row.revoked) return null;
  return { id: row.id, name: row.name, roles: row.roles, tokenId: claims.tokenId, tokenExpiresAt: claims.expiresAt };
}
