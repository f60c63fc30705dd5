variable "bucket_name" { type = string }
variable "region" { type = string }
variable "versioning" { type = string }
variable "kms_key_arn" { type = string }

provider "aws" {
  region = var.region
}

resource "aws_s3_bucket" "this" {
  bucket = var.bucket_name
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id
  versioning_configuration {
    status = var.versioning == "enabled" ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

output "arn" { value = aws_s3_bucket.this.arn }
output "domain_name" { value = aws_s3_bucket.this.bucket_regional_domain_name }
