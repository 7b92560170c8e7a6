"""Optimisation for stacked heads: Adam / AdamW with one learning rate per configuration, the
learning-rate schedules of the two recipes, and gradient clipping per configuration.

* ``linear-warmup`` — as EmoBox's recipe runs SpeechBrain 0.5.16's ``LinearWarmupScheduler``
  (W warm-up steps, E training steps): the optimiser is built at lr, so epoch 1 trains at lr;
  after each epoch's validation ``get_next_value()`` sets the *next* epoch's lr to
  ``calc(step)`` and increments ``step``, with ``calc(s) = lr · s / W`` for s < W, else
  ``lr · max(0, (E − s) / (E − W))``. So epoch e ≥ 2 trains at ``calc(e − 2)``: epoch 2 at 0,
  the peak at epoch W + 2, the last epoch at lr · 2 / (E − W);
* ``onecycle`` — ``torch.optim.lr_scheduler.OneCycleLR`` (cosine, pct_start, momentum cycled
  between 0.85 and 0.95) stepped per batch, as SER Evals does; its values are read off the
  torch scheduler itself, so they are torch's exactly;
* ``constant``.

>>> [round(f, 2) for f in linear_warmup(5, warmup=2)]
[1.0, 0.0, 0.5, 1.0, 0.67]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def speechbrain_linear_warmup(step: int, warmup: int, total: int) -> float:
    """SpeechBrain 0.5.16 ``LinearWarmupScheduler.calculate_lr(step)`` for lr0 = 1."""
    if step < warmup:
        return step / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def linear_warmup(epochs: int, warmup: int) -> list[float]:
    """The lr factor each epoch (1-based, in order) trains at under the ``linear-warmup``
    schedule: 1 for epoch 1, then the scheduler's values from step 0."""
    return [1.0] + [speechbrain_linear_warmup(e - 2, warmup, epochs)
                    for e in range(2, epochs + 1)]


def onecycle(total_steps: int, pct_start: float) -> tuple[list[float], list[float]]:
    """Per-step (lr factor of max_lr, beta1) of torch's OneCycleLR with its defaults."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=1.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=total_steps,
                                                pct_start=pct_start)
    factors, betas = [], []
    for _ in range(total_steps):
        factors.append(float(opt.param_groups[0]["lr"]))
        betas.append(float(opt.param_groups[0]["betas"][0]))
        opt.step()
        sched.step()
    return factors, betas


class StackedAdam:
    """Adam (L2 penalty in the gradient) or AdamW (decoupled decay) over parameters whose first
    axis is the configuration, with one learning rate per configuration. Matches
    ``torch.optim.Adam``/``AdamW`` step for step (bias correction with the current beta1, as
    torch does when a scheduler cycles it)."""

    def __init__(self, params: Sequence[torch.nn.Parameter], lrs: Sequence[float], *,
                 weight_decay: float | Sequence[float] = 0.0, decoupled: bool = False,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = list(params)
        device = self.params[0].device if self.params else None
        self.lrs = torch.tensor(list(lrs), dtype=torch.float32, device=device)
        k = len(self.lrs)
        wd = [weight_decay] * k if isinstance(weight_decay, float | int) else list(weight_decay)
        self.wd = torch.tensor(wd, dtype=torch.float32, device=device)
        self.any_wd = any(w > 0 for w in wd)
        self.decoupled, self.beta1, self.beta2, self.eps = decoupled, betas[0], betas[1], eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0
        self.b1_product = 1.0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self, factor: float = 1.0, beta1: float | None = None) -> None:
        self.t += 1
        b1 = self.beta1 if beta1 is None else beta1
        correction1 = 1 - b1 ** self.t
        correction2 = 1 - self.beta2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            shape = (-1,) + (1,) * (p.dim() - 1)
            lr = (self.lrs * factor).view(shape)
            wd = self.wd.view(shape)
            grad = p.grad
            if self.decoupled:
                p.mul_(1 - lr * wd)
            elif self.any_wd:
                grad = grad + wd * p
            m.mul_(b1).add_(grad, alpha=1 - b1)
            v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
            denom = (v.sqrt() / correction2 ** 0.5).add_(self.eps)
            p.sub_(lr / correction1 * m / denom)


@torch.no_grad()
def clip_per_config(params: Sequence[torch.nn.Parameter], max_norm: float) -> None:
    """``torch.nn.utils.clip_grad_norm_`` over all parameters of each configuration (its
    slice of every stacked parameter) separately: each configuration is scaled by
    ``min(1, max_norm / (total_norm + 1e-6))`` of its own total gradient norm, as torch (and
    SpeechBrain's ``Brain.check_gradients``) do for one model."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return
    k = grads[0].shape[0]
    norms = torch.sqrt(sum(g.reshape(k, -1).pow(2).sum(1) for g in grads))
    scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.mul_(scale.view((-1,) + (1,) * (g.dim() - 1)))
