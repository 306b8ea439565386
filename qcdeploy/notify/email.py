"""Email over SMTP, always upgraded with STARTTLS before anything is said: a server that does not offer it is
a failed send, never a plain-text login."""

from __future__ import annotations

import json
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from qcdeploy.notify.base import Event, NotifyFailed, ident


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    host: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    sender: str = ""
    events: frozenset[str] = frozenset()
    timeout: float = 10.0
    tls: ssl.SSLContext | None = field(default=None, repr=False, compare=False)  # tests pass their own CA

    @property
    def ident(self) -> str:
        return ident("email", f"{self.host}:{self.port}:{','.join(self.to)}")

    def describe(self) -> str:
        return f"email via {self.host}:{self.port}"

    def send(self, event: Event) -> None:
        message = EmailMessage()
        message["Subject"] = event.line()[:200]
        message["From"] = self.sender or self.username or "qcdeploy@localhost"
        message["To"] = ", ".join(self.to)
        message.set_content(json.dumps(event.payload(), indent=2) + "\n")
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.starttls(context=self.tls or ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPNotSupportedError:
            raise NotifyFailed("the server does not offer STARTTLS; nothing was sent in plain text") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise NotifyFailed(type(exc).__name__) from None
