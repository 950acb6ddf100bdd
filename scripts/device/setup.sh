# Sourced on a bare Linux x86-64 machine with an NVIDIA GPU, in the repository root, with .device-kit/ (made by
# scripts/device/kit.mjs) and .gl/: Debian's libvulkan1, libglvnd0, libgl1, libglx0, libegl1, libopengl0 and
# libgles2 .debs (`apt-get download` them): the loader, and the GLVND libraries the NVIDIA driver's Vulkan ICD
# (libGLX_nvidia.so.0) needs; without them Dawn finds no adapter ("Could not get 'vkCreateInstance'").
# Afterwards: node .device-kit/src/train.mjs ptb --config small --data /tmp/rnnlab-kit/data/ptb ...
set -u
KIT=/tmp/rnnlab-kit
mkdir -p $KIT && tar -xJf .device-kit/kit.tar.xz -C $KIT
ln -sfn $KIT/node_modules .device-kit/node_modules
export PATH=$KIT/bin:$PATH
for f in .gl/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done; ldconfig
# the NVIDIA driver's Vulkan ICD where the container mounts it
[ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export XDG_RUNTIME_DIR=/tmp
echo "node $(node --version); $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null)"
