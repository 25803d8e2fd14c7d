-- How an identity number is encrypted (people/identity.py): the one call every writer of people_person.id_cipher
-- uses (the demo loader, services.encrypt, import_people's people INSERT), so that the options are
-- set in one place. pgcrypto's pgp_sym_encrypt, AES-256 with its integrity check (MDC), no compression (the
-- default), and a salted key without iterations (s2k-mode=1): the key is a random 256-bit value, not a
-- password, so stretching it (the default s2k-mode=3 iterates a hash tens of thousands of times per row) would
-- protect nothing and cost ~3.7 ms per row. Ciphertexts written with these options, or any earlier ones, are
-- read by pgp_sym_decrypt(id_cipher, key): the options travel in the ciphertext's own header.
CREATE OR REPLACE FUNCTION people_encrypt_id(clear text, key text) RETURNS bytea
LANGUAGE sql VOLATILE PARALLEL SAFE AS $$
    SELECT pgp_sym_encrypt(clear, key, 'cipher-algo=aes256, compress-algo=0, s2k-mode=1')
$$;
