#include "marcscope/io/mapped_file.h"

#include "marcscope/io/byte_source.h"

namespace marcscope {

InputBuffer InputBuffer::open(const std::string& path) {
  auto source = open_source(path);
  InputBuffer in;
  in.name_ = source->name();
  if (auto whole = source->contiguous()) {
    in.data_ = whole->data();
    in.size_ = whole->size();
    in.mapped_ = true;
    in.source_ = std::move(source);
    return in;
  }
  char buf[1 << 16];
  while (const std::size_t n = source->read(buf, sizeof buf)) in.owned_.append(buf, n);
  in.data_ = in.owned_.data();
  in.size_ = in.owned_.size();
  return in;
}

InputBuffer InputBuffer::from_bytes(std::string bytes) {
  InputBuffer in;
  in.name_ = "<memory>";
  in.owned_ = std::move(bytes);
  in.data_ = in.owned_.data();
  in.size_ = in.owned_.size();
  return in;
}

InputBuffer::InputBuffer(InputBuffer&& other) noexcept { *this = std::move(other); }

InputBuffer& InputBuffer::operator=(InputBuffer&& other) noexcept {
  if (this == &other) return *this;
  mapped_ = other.mapped_;
  name_ = std::move(other.name_);
  source_ = std::move(other.source_);  // the mapping does not move with it
  if (mapped_) {
    data_ = other.data_;
    size_ = other.size_;
  } else {
    owned_ = std::move(other.owned_);
    data_ = owned_.data();
    size_ = owned_.size();
  }
  other.data_ = nullptr;
  other.size_ = 0;
  other.mapped_ = false;
  return *this;
}

InputBuffer::~InputBuffer() = default;

}  // namespace marcscope
