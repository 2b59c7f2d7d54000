"""A throw-away PKI for the TLS tests, made with certtool (gnutls-bin).

Pki(dir) makes a CA and a server certificate for localhost / 127.0.0.1;
client(name, ...) makes a client pki directory (cacert.pem, clientcert.pem,
clientkey.pem) for libvirt's ?pkipath=, signed by the CA or by another one,
expired or not.  server_config() gives the convergd.conf keys that point the
daemon at the server files.
"""

import os
import shutil
import subprocess
import tempfile

CERTTOOL = shutil.which("certtool")


def _certtool(cwd, *args):
    subprocess.run([CERTTOOL, *args], cwd=cwd, check=True,
                   capture_output=True, text=True)


class Pki:
    def __init__(self, workdir=None):
        if not CERTTOOL:
            raise RuntimeError("certtool (gnutls-bin) is not installed")
        self.dir = workdir or tempfile.mkdtemp(prefix="cvg-pki-")
        self.ca = self._ca("ca", "convergd test CA")

    def path(self, *names):
        return os.path.join(self.dir, *names)

    def _template(self, name, lines):
        p = self.path(name + ".info")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def _key(self, name):
        key = self.path(name + "key.pem")
        _certtool(self.dir, "--generate-privkey", "--outfile", key)
        return key

    def _ca(self, name, cn):
        """A self-signed CA: its name (files NAMEcert.pem, NAMEkey.pem)."""
        tmpl = self._template(name, [f"cn = {cn}", "ca", "cert_signing_key",
                                     "expiration_days = 30"])
        key = self._key(name)
        _certtool(self.dir, "--generate-self-signed", "--load-privkey", key,
                  "--template", tmpl, "--outfile", self.path(name + "cert.pem"))
        return name

    def other_ca(self, name="otherca"):
        return self._ca(name, "some other CA")

    def _sign(self, name, ca, lines):
        tmpl = self._template(name, lines)
        key = self._key(name)
        _certtool(self.dir, "--generate-certificate", "--load-privkey", key,
                  "--load-ca-certificate", self.path(ca + "cert.pem"),
                  "--load-ca-privkey", self.path(ca + "key.pem"),
                  "--template", tmpl, "--outfile", self.path(name + "cert.pem"))

    def server(self, name="server", hosts=("localhost",),
               addrs=("127.0.0.1",)):
        """Server certificate and key: (cert path, key path)."""
        self._sign(name, self.ca,
                   ["organization = convergd test", f"cn = {hosts[0]}"]
                   + [f"dns_name = {h}" for h in hosts]
                   + [f"ip_address = {a}" for a in addrs]
                   + ["tls_www_server", "encryption_key", "signing_key",
                      "expiration_days = 30"])
        return self.path(name + "cert.pem"), self.path(name + "key.pem")

    def client(self, name, cn=None, org="convergd test", country="GB",
               ca=None, trust=None, expired=False):
        """A pki directory for ?pkipath=: a client certificate for
        C=@country,O=@org,CN=@cn signed by @ca (default: the test CA), and
        @trust's CA certificate (default: the test CA) as cacert.pem."""
        lines = [f"country = {country}", f"organization = {org}",
                 f"cn = {cn or name}", "tls_www_client", "encryption_key",
                 "signing_key"]
        if expired:
            lines += ['activation_date = "2020-01-01 00:00:00 UTC"',
                      'expiration_date = "2020-02-01 00:00:00 UTC"']
        else:
            lines += ["expiration_days = 30"]
        self._sign(name, ca or self.ca, lines)
        d = self.path(name + ".d")
        os.makedirs(d, exist_ok=True)
        shutil.copy(self.path((trust or self.ca) + "cert.pem"),
                    os.path.join(d, "cacert.pem"))
        shutil.copy(self.path(name + "cert.pem"),
                    os.path.join(d, "clientcert.pem"))
        shutil.copy(self.path(name + "key.pem"),
                    os.path.join(d, "clientkey.pem"))
        return d

    def server_config(self, name="server"):
        """convergd.conf lines for the server files of @name."""
        return (f'ca_file = "{self.path(self.ca + "cert.pem")}"\n'
                f'cert_file = "{self.path(name + "cert.pem")}"\n'
                f'key_file = "{self.path(name + "key.pem")}"\n')

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)
