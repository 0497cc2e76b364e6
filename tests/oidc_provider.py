"""A real OpenID Connect provider for the single sign-on tests: django-oauth-toolkit (a test-only dependency), served
by the same live server as the portal under /o/ (tests/oidc_urls.py).

Its users are Django users of the test database ("provider-ada", who is "ada" to the portal); the groups claim
lists their Django groups (named like a provider's, "idp-…", never the portal's roles). MISBEHAVE makes the next
ID tokens wrong on purpose: claims to override (aud, iss, nonce, exp) or another key to sign with, whose id the
provider does not publish.
"""

import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.db import router, transaction
from jwcrypto import jwk, jwt
from oauth2_provider.models import IDToken
from oauth2_provider.oauth2_validators import OAuth2Validator

MISBEHAVE: dict = {}


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def unpublished_key() -> jwk.JWK:
    return jwk.JWK.from_pem(rsa_private_key_pem().encode())


class Validator(OAuth2Validator):
    oidc_claim_scope = None  # every claim below, whatever the scopes: the groups claim has no standard scope

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "preferred_username": user.username.removeprefix("provider-"),
            "given_name": user.first_name,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        }

    # Silent renewal (prompt=none): the authorize view lets only someone signed in at the provider this far.
    def validate_silent_login(self, request):
        return True

    def validate_silent_authorization(self, request):
        return True

    def finalize_id_token(self, id_token, token, token_handler, request):
        # django-oauth-toolkit's own, with MISBEHAVE applied before signing.
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:
            id_token["nonce"] = request.nonce
        id_token.update(MISBEHAVE.get("claims", {}))
        key = MISBEHAVE.get("key") or request.client.jwk_key
        header = {"typ": "JWT", "alg": request.client.algorithm, "kid": key.thumbprint()}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        with transaction.atomic(using=router.db_for_write(IDToken)):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = request.id_token = saved
        return signed.serialize()
