//! The ISO/IEC 18013-5 reader (proximity): engagement from a QR, session establishment, a
//! signed DeviceRequest with reader authentication, and the response through the pipeline.
