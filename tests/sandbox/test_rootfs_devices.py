"""The worker's `/dev`: the five harmless devices and nothing the host adds (a GPU host's
`nvidia*` nodes stay out, since no grader process uses a GPU)."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.sandbox import rootfs


def test_a_worker_gets_no_gpu_node_even_on_a_gpu_host(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    host = tmp_path / "host-dev"
    host.mkdir()
    for name in (*rootfs.DEVICES, "nvidia0", "nvidiactl", "nvidia-uvm", "kvm", "sda"):
        (host / name).write_text("")
    calls: list[tuple[str | None, str, int]] = []
    monkeypatch.setattr(rootfs, "_mount", lambda source, target, fstype, flags, *rest:
                        calls.append((source, target, flags)))
    monkeypatch.setattr(rootfs, "_tmpfs", lambda *args, **kwargs: None)
    root = tmp_path / "root"
    layout = rootfs.Layout(mountpoint=str(root), uid=None, scratch_mb=8)

    rootfs._make_devices(str(root), layout, host=str(host))

    mounted = [(source, target) for source, target, _ in calls if source is not None]
    assert sorted(Path(source).name for source, _ in mounted) == sorted(rootfs.DEVICES)
    assert sorted(Path(target).name for _, target in mounted) == sorted(rootfs.DEVICES)
    assert not [p.name for p in (root / "dev").iterdir() if p.name.startswith("nvidia")]
    # each is then made noexec: a private mapping of /dev/zero is fresh memory, never code
    remounted = {target for source, target, flags in calls
                 if source is None and flags & rootfs.MS_REMOUNT and flags & rootfs.MS_NOEXEC}
    assert remounted == {target for _, target in mounted}
